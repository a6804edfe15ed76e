import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateServerSecret } from '../secrets';

/**
 * Reads the cluster's server secret from `file`, or, when no file was named, from
 * `<dataDir>/server-secret`, creating that one (mode 0600) on a master's first start.
 * A named file that does not exist is an error: a second master given a path to the
 * cluster's secret must not silently start a cluster of its own.
 */
export async function loadServerSecret(file: string | undefined, dataDir: string): Promise<string> {
  if (file) {
    try {
      return checkSecret(await readFile(file, 'utf8'), file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`--server-secret-file ${file} does not exist; copy the cluster's server secret there (it is created on the first master)`, { cause: err });
      }
      throw err;
    }
  }
  const own = path.join(dataDir, 'server-secret');
  try {
    return checkSecret(await readFile(own, 'utf8'), own);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secret = generateServerSecret();
  // 'wx': two masters sharing a data folder cannot both create one.
  try {
    await writeFile(own, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return checkSecret(await readFile(own, 'utf8'), own);
    throw err;
  }
  await chmod(own, 0o600);
  return secret;
}

/** Writes a server secret received from the cluster (a joining master), mode 0600. */
export async function writeServerSecret(file: string, secret: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, checkSecret(secret, 'the server secret from the cluster') + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
}

function checkSecret(text: string, where: string): string {
  const secret = text.trim();
  if (secret.length < 16) throw new Error(`server secret in ${where} is too short (${secret.length} characters, at least 16)`);
  return secret;
}
