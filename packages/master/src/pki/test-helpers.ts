import * as x509 from '@peculiar/x509';
import { cryptoProvider, EC_KEY_ALGORITHM, EC_SIGNING_ALGORITHM, type CryptoKeyPair } from './crypto-provider';

/**
 * Builds a PKCS#10 request the way a joining machine does (used by tests only; the agent
 * has its own generator in packages/agent/src/join).
 */
export async function makeCsr(
  subject: x509.JsonName,
  keyAlgorithm: EcKeyGenParams | RsaHashedKeyGenParams = EC_KEY_ALGORITHM,
): Promise<{ csrPem: string; keys: CryptoKeyPair }> {
  const crypto = cryptoProvider();
  const keys = (await crypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const signingAlgorithm = keyAlgorithm.name === 'ECDSA' ? EC_SIGNING_ALGORITHM : { name: 'RSASSA-PKCS1-v1_5' };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm });
  return { csrPem: csr.toString('pem'), keys };
}

interface EcKeyGenParams {
  name: 'ECDSA';
  namedCurve: string;
}
interface RsaHashedKeyGenParams {
  name: 'RSASSA-PKCS1-v1_5';
  modulusLength: number;
  publicExponent: Uint8Array;
  hash: string;
}

/** A deterministic "random" source: counts up, so serial numbers differ but are reproducible. */
export function countingRandom(): (size: number) => Uint8Array {
  let n = 0;
  return (size) => Uint8Array.from({ length: size }, () => n++ & 0xff);
}
