import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { parse as parseYaml } from 'yaml';
import { ADMIN_CONFIG_FILE } from '../bootstrap/admin-config';
import { generateServerSecret } from '../secrets';

/** Mutual-TLS credentials of the admin, from the admin.conf a master wrote into `dataDir`. */
export function adminCredentials(dataDir: string): ChannelCredentials {
  const cfg = parseYaml(readFileSync(path.join(dataDir, ADMIN_CONFIG_FILE), 'utf8')) as { certificateAuthority: string; clientCertificate: string; clientKey: string };
  return credentials.createSsl(Buffer.from(cfg.certificateAuthority), Buffer.from(cfg.clientKey), Buffer.from(cfg.clientCertificate));
}

/** A fresh data folder for a master under test. */
export function tempDataDir(prefix = 'orchard-master-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A server secret file shared by the masters of one test cluster. */
export function sharedServerSecretFile(): string {
  const file = path.join(tempDataDir('orchard-secret-'), 'server-secret');
  writeFileSync(file, generateServerSecret() + '\n', { mode: 0o600 });
  return file;
}
