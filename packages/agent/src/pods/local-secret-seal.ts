import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** The key file, beside the node's credentials: `<data-dir>/pki/local-copy.key`. */
export const LOCAL_COPY_KEY_FILE = path.join('pki', 'local-copy.key');

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 1;
/** Binds a sealed blob to its purpose: it cannot be passed off as anything else. */
const AAD = Buffer.from('orchard-agent local copy of desired secrets v1');

/** The local copy's Secrets cannot be opened (the key file was removed or replaced). */
export class SealOpenError extends Error {}

/**
 * Seals the Secrets of the local copy of the desired pods with AES-256-GCM under a
 * random key of this node (`<data-dir>/pki/local-copy.key`, 0600, made once on the
 * first seal). The copy on the SD card then never holds a Secret in plaintext: a copy of
 * the file alone (a backup, a support bundle) reveals nothing, and deleting the key
 * makes every earlier copy unreadable, including the stale blocks an SD card's wear
 * levelling keeps. It does not protect against someone holding the whole card, who has
 * the key too (a Pi has no TPM to keep it elsewhere); docs/edge-autonomy.md says so.
 */
export class LocalSecretSeal {
  private key?: Buffer;

  constructor(private readonly keyFile: string) {}

  /** Encrypts `plain`; creates the key on first use. */
  async seal(plain: Buffer): Promise<Buffer> {
    const key = await this.loadKey(true);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key!, nonce);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]);
  }

  /** Decrypts what seal() made. @throws SealOpenError when the key is missing or not the one that sealed it. */
  async open(sealed: Buffer): Promise<Buffer> {
    const key = await this.loadKey(false);
    if (!key) throw new SealOpenError(`the key ${this.keyFile} is missing`);
    if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new SealOpenError('the sealed secrets are not in a known format');
    const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
    const tag = sealed.subarray(1 + NONCE_BYTES, 1 + NONCE_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(AAD);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE_BYTES + TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new SealOpenError(`the sealed secrets do not open with ${this.keyFile} (replaced key or damaged file)`, { cause: err });
    }
  }

  private async loadKey(create: boolean): Promise<Buffer | undefined> {
    if (this.key) return this.key;
    try {
      const key = await fs.readFile(this.keyFile);
      if (key.length !== KEY_BYTES) throw new SealOpenError(`${this.keyFile} holds ${key.length} bytes, not a ${KEY_BYTES}-byte key`);
      this.key = key;
      return key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!create) return undefined;
    const key = randomBytes(KEY_BYTES);
    await fs.mkdir(path.dirname(this.keyFile), { recursive: true, mode: 0o700 });
    const tmp = `${this.keyFile}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.keyFile);
    this.key = key;
    return key;
  }
}
