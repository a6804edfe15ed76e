import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { cryptoProvider, EC_KEY_ALGORITHM, type CryptoKey, type CryptoKeyPair } from './crypto-provider';

/** Generates an ECDSA P-256 key pair (extractable, so the private key can be written as PEM). */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  const crypto = cryptoProvider();
  return (await crypto.subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PKCS#8 PEM ("PRIVATE KEY"), the form node:tls and grpc-js accept. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await cryptoProvider().subtle.exportKey('pkcs8', key);
  return withNewline(x509.PemConverter.encode(der, 'PRIVATE KEY'));
}

/**
 * Imports a PEM private key (PKCS#8 or SEC1 "EC PRIVATE KEY") as a WebCrypto signing key.
 * Node parses every PEM flavour; WebCrypto only takes PKCS#8, so convert through it.
 */
export async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (cause) {
    throw new Error('private key is not a valid PEM key', { cause });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`private key must be ECDSA P-256, got ${describeKey(key)}`);
  }
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return cryptoProvider().subtle.importKey('pkcs8', der, EC_KEY_ALGORITHM, false, ['sign']);
}

/** DER SubjectPublicKeyInfo of the public half of a PEM private key. */
export function publicKeyDerOfPrivateKey(keyPem: string): Buffer {
  return createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
}

export function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} (${curve})` : String(key.asymmetricKeyType);
}

/** PEM blocks end with a newline so that files and chains (cert + CA) concatenate safely. */
export function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : pem + '\n';
}
