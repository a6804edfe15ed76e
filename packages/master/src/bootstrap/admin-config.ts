import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { issueClientCert, type CertifiedKey } from '../pki';

/** The file name of the admin credentials in the master's data folder. */
export const ADMIN_CONFIG_FILE = 'admin.conf';

/**
 * The client configuration the CLI reads (~/.orchard/config, ORCHARD_CONFIG, --config),
 * like a kubeconfig: where the masters are, the CA that proves them, and a client
 * certificate with its key.
 */
export interface ClientConfig {
  readonly masters: readonly string[];
  readonly certificateAuthority: string;
  readonly clientCertificate: string;
  readonly clientKey: string;
}

export function clientConfigYaml(cfg: ClientConfig): string {
  return (
    '# Orchard client credentials (role admin). Keep this file private: whoever holds it\n' +
    '# controls the cluster. Copy it to ~/.orchard/config (mode 600) or point ORCHARD_CONFIG at it.\n' +
    stringify({ masters: [...cfg.masters], certificateAuthority: cfg.certificateAuthority, clientCertificate: cfg.clientCertificate, clientKey: cfg.clientKey }, { lineWidth: 0 })
  );
}

/**
 * Writes `<dataDir>/admin.conf` (mode 0600) with a new admin certificate, unless it is
 * already there (first start only: an existing file may have been handed out).
 * Returns the path and whether it was written.
 */
export async function writeAdminConfig(dataDir: string, ca: CertifiedKey, masters: readonly string[]): Promise<{ file: string; written: boolean }> {
  const file = path.join(dataDir, ADMIN_CONFIG_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const admin = await issueClientCert(ca, { role: 'admin', user: 'admin' });
  const text = clientConfigYaml({ masters, certificateAuthority: ca.certPem, clientCertificate: admin.certPem, clientKey: admin.keyPem });
  try {
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { file, written: false };
    throw err;
  }
  await chmod(file, 0o600);
  return { file, written: true };
}
