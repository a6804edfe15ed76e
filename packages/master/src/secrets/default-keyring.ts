import { deriveKey, KEY_PURPOSE } from './derive-key';
import { createKeyring, keyringFromConfig, type Keyring, type KeyringConfig } from './keyring';

/** Key id of the key derived from the server secret. */
export const DERIVED_KEY_ID = 'derived1';

/**
 * The keyring for Secret data: the configured keys if any (for rotation), always
 * together with the key derived from the server secret, so values written before keys
 * were configured stay readable. Without configuration the derived key is current, so
 * Secrets are encrypted out of the box.
 */
export function secretKeyring(serverSecret: string | Uint8Array, config?: KeyringConfig): Keyring {
  const derived = deriveKey(serverSecret, KEY_PURPOSE.secretData);
  if (!config) return createKeyring(DERIVED_KEY_ID, { [DERIVED_KEY_ID]: derived });
  if (Object.prototype.hasOwnProperty.call(config.keys, DERIVED_KEY_ID)) {
    throw new Error(`encryption key id "${DERIVED_KEY_ID}" is reserved for the key derived from the server secret`);
  }
  const configured = keyringFromConfig(config);
  const keys: Record<string, Buffer> = { [DERIVED_KEY_ID]: derived };
  for (const id of configured.keyIds) keys[id] = configured.key(id)!;
  return createKeyring(configured.currentKeyId, keys);
}
