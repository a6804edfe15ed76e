import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * @peculiar/x509 needs a WebCrypto implementation; Node's is used everywhere so that keys
 * generated here can be exported to PEM and read by node:tls and grpc-js.
 * Setting it is idempotent, so every module that signs or parses calls this first.
 */
export function cryptoProvider(): webcrypto.Crypto {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  return webcrypto;
}

/** ECDSA P-256 with SHA-256: small keys and fast signatures on a Raspberry Pi. */
export const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const EC_SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** WebCrypto key types from Node (the DOM lib is not part of this build). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
