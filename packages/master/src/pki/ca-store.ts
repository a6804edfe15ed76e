import { createHash } from 'node:crypto';
import { createKeyring, decrypt, deriveKey, encrypt, KEY_PURPOSE, UnknownKeyError } from '../secrets';
import type { CertifiedKey } from './certified-key';
import { CaUnavailableError } from './errors';
import { parseCertificate } from './issue';
import { publicKeyDerOfPrivateKey } from './key-pair';

/** Where the master keeps the sealed CA in etcd. */
export const CA_ETCD_KEY = '/orchard/pki/ca';

/**
 * The CA as stored in etcd: the certificate in clear (it is public), the private key
 * encrypted with a key derived from the cluster's server secret. Any master given the
 * server secret can open it; etcd alone (a backup, `etcdctl get`) reveals nothing.
 */
export interface SealedCA {
  readonly version: 1;
  readonly certPem: string;
  /** base64 of `orchard:enc:aesgcm:v1:<keyId>:...` (see secrets/envelope). */
  readonly encryptedKey: string;
}

/** The key id names the server secret by fingerprint, so a wrong secret is reported as such. */
function secretKeyring(serverSecret: string | Uint8Array) {
  const key = deriveKey(serverSecret, KEY_PURPOSE.caKey);
  const id = 'ss-' + createHash('sha256').update(key).digest('hex').slice(0, 12);
  return createKeyring(id, { [id]: key });
}

/** Seals a CA for storage under CA_ETCD_KEY (serialize with JSON.stringify). */
export function sealCA(ca: CertifiedKey, serverSecret: string | Uint8Array, opts: { random?: (n: number) => Uint8Array } = {}): SealedCA {
  const keyring = secretKeyring(serverSecret);
  const encryptedKey = encrypt(keyring, Buffer.from(ca.keyPem, 'utf8'), { random: opts.random, context: CA_ETCD_KEY });
  return { version: 1, certPem: ca.certPem, encryptedKey: encryptedKey.toString('base64') };
}

/**
 * Opens a sealed CA. Throws CaUnavailableError when the server secret differs from the one
 * that sealed it, or when the record is damaged or its key does not match its certificate.
 */
export function openCA(sealed: SealedCA | string, serverSecret: string | Uint8Array): CertifiedKey {
  let record: SealedCA;
  try {
    record = typeof sealed === 'string' ? (JSON.parse(sealed) as SealedCA) : sealed;
  } catch (cause) {
    throw new CaUnavailableError(`stored CA at ${CA_ETCD_KEY} is not valid JSON`, { cause });
  }
  if (record?.version !== 1 || typeof record.certPem !== 'string' || typeof record.encryptedKey !== 'string') {
    throw new CaUnavailableError(`stored CA at ${CA_ETCD_KEY} has an unknown format`);
  }
  let keyPem: string;
  try {
    keyPem = decrypt(secretKeyring(serverSecret), Buffer.from(record.encryptedKey, 'base64'), { context: CA_ETCD_KEY }).toString('utf8');
  } catch (cause) {
    if (cause instanceof UnknownKeyError) {
      throw new CaUnavailableError(
        `the CA stored at ${CA_ETCD_KEY} was sealed with a different server secret (${cause.keyId}); ` +
          "start this master with the cluster's server secret",
        { cause },
      );
    }
    throw new CaUnavailableError(`cannot decrypt the CA key stored at ${CA_ETCD_KEY}`, { cause });
  }
  const certKey = parseCertificate(record.certPem, 'stored CA certificate').publicKey.export({ type: 'spki', format: 'der' });
  if (!certKey.equals(publicKeyDerOfPrivateKey(keyPem))) {
    throw new CaUnavailableError(`stored CA at ${CA_ETCD_KEY}: the private key does not belong to the certificate`);
  }
  return { certPem: record.certPem, keyPem };
}
