import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
import { CredentialsError } from './errors';

/** What a joined machine keeps: its key, its certificate and the cluster CA (all PEM). */
export interface Credentials {
  readonly keyPem: string;
  readonly certPem: string;
  readonly caPem: string;
}

/** File names inside the credentials directory (`<data-dir>/pki`). */
export const CREDENTIAL_FILES = { keyPem: 'node.key', certPem: 'node.crt', caPem: 'ca.crt' } as const;

/** The file system calls used here, injectable for tests. */
export interface CredentialsFs {
  mkdir(dir: string, opts: { recursive: true; mode: number }): Promise<unknown>;
  chmod(file: string, mode: number): Promise<void>;
  writeFile(file: string, data: string, opts: { mode: number; flag: string }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readFile(file: string, encoding: 'utf8'): Promise<string>;
  stat(file: string): Promise<{ mode: number }>;
  unlink(file: string): Promise<void>;
}

const defaultFs = nodeFs as unknown as CredentialsFs;

/**
 * Writes key, certificate and CA with mode 0600 in a 0700 directory. Each file is
 * written to a temporary name and renamed, so a power cut (common on a Pi) leaves either
 * the old or the new file, never half of one. Checks first that the certificate belongs
 * to the key and was issued by the CA, so a broken set is never stored.
 */
export async function writeCredentials(dir: string, creds: Credentials, fs: CredentialsFs = defaultFs): Promise<void> {
  checkConsistent(creds, dir);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing directory's mode alone; tighten it explicitly.
  await fs.chmod(dir, 0o700);
  const fields = ['keyPem', 'caPem', 'certPem'] as const;
  // All three are written first and renamed only then, so a renewal interrupted while
  // writing leaves the previous set intact.
  for (const field of fields) {
    const tmp = path.join(dir, `${CREDENTIAL_FILES[field]}.tmp`);
    await fs.writeFile(tmp, creds[field], { mode: 0o600, flag: 'w' });
    await fs.chmod(tmp, 0o600);
  }
  for (const field of fields) {
    const target = path.join(dir, CREDENTIAL_FILES[field]);
    await fs.rename(`${target}.tmp`, target);
  }
}

/**
 * Loads stored credentials; undefined when the machine has not joined yet (no files).
 * Throws CredentialsError when the files are partial, too open (readable by others), or
 * do not fit together.
 */
export async function loadCredentials(dir: string, fs: CredentialsFs = defaultFs): Promise<Credentials | undefined> {
  const out: Partial<Record<keyof Credentials, string>> = {};
  const missing: string[] = [];
  for (const field of ['keyPem', 'certPem', 'caPem'] as const) {
    const file = path.join(dir, CREDENTIAL_FILES[field]);
    try {
      out[field] = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') missing.push(CREDENTIAL_FILES[field]);
      else throw new CredentialsError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (missing.length === 3) return undefined;
  if (missing.length > 0) {
    throw new CredentialsError(`credentials in ${dir} are incomplete (missing ${missing.join(', ')}); join again with: orchard-agent join ...`);
  }
  const keyFile = path.join(dir, CREDENTIAL_FILES.keyPem);
  const mode = (await fs.stat(keyFile)).mode & 0o777;
  if (mode & 0o077) {
    throw new CredentialsError(`${keyFile} is accessible by other users (mode ${mode.toString(8)}); fix with: chmod 600 ${keyFile}`);
  }
  const creds = out as Credentials;
  checkConsistent(creds, dir);
  return creds;
}

function checkConsistent(creds: Credentials, where: string): void {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(creds.certPem);
    ca = new X509Certificate(creds.caPem);
  } catch (cause) {
    throw new CredentialsError(`credentials for ${where}: certificate or CA is not valid PEM`, { cause });
  }
  let keySpki: Buffer;
  try {
    keySpki = createPublicKey(createPrivateKey(creds.keyPem)).export({ type: 'spki', format: 'der' });
  } catch (cause) {
    throw new CredentialsError(`credentials for ${where}: private key is not valid PEM`, { cause });
  }
  if (!keySpki.equals(cert.publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new CredentialsError(`credentials for ${where}: the certificate does not belong to the private key`);
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new CredentialsError(`credentials for ${where}: the certificate was not issued by the stored cluster CA`);
  }
}
