/**
 * Data at rest could not be decrypted. Subclasses say why, so the master can tell an
 * operator "add the old key back" from "this record was modified in etcd".
 */
export class DecryptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The value is not in Orchard's encrypted format (no header, truncated). */
export class MalformedCiphertextError extends DecryptionError {}

/** The value names a key id the keyring does not hold (a key removed too early). */
export class UnknownKeyError extends DecryptionError {
  constructor(readonly keyId: string, known: readonly string[]) {
    super(
      `value was encrypted with key "${keyId}", which is not in the keyring (known: ${known.join(', ') || 'none'}); ` +
        'add the old key back to the encryption configuration to read it',
    );
  }
}

/** Authentication failed: a wrong key under the right id, or bytes changed since encryption. */
export class TamperedCiphertextError extends DecryptionError {}
