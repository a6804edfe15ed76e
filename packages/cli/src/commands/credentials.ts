import { webcrypto } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import * as x509 from '@peculiar/x509';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { globalsOf, type Context } from '../context';
import { parseDuration } from '../duration';
import { contextAdminConnector, type AdminConnector } from './admin-calls';

/** Roles a credentials file can carry, and the organization each is signed into (the master checks the same). */
const ROLE_ORGANIZATION = { admin: 'orchard:admins', viewer: 'orchard:viewers' } as const;
type UserRole = keyof typeof ROLE_ORGANIZATION;
/** The user name rule the master applies (a conservative set that survives any log or config). */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Writes a file with mode 0600 (an existing file is replaced and its mode tightened). */
export type PrivateFileWriter = (file: string, text: string) => Promise<void>;

const writePrivateFile: PrivateFileWriter = async (file, text) => {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
};

/** An ECDSA P-256 key pair and a CSR for CN=name, O=the role's organization; the key never leaves this machine. */
export async function userKeyAndCsr(name: string, role: UserRole): Promise<{ keyPem: string; csrPem: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [name] }, { O: [ROLE_ORGANIZATION[role]] }],
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: `${x509.PemConverter.encode(keyDer, 'PRIVATE KEY')}\n`, csrPem: `${csr.toString('pem')}\n` };
}

/** The client configuration file, in the format of the admin.conf a master writes. */
export function credentialsFile(c: { name: string; role: UserRole; expires: string; masters: readonly string[]; caPem: string; certPem: string; keyPem: string }): string {
  const what = c.role === 'admin' ? 'whoever holds it controls the cluster' : 'it reads everything in the cluster except Secrets';
  return (
    `# Orchard client credentials for "${c.name}" (role ${c.role}, valid until ${c.expires}).\n` +
    `# Keep this file private: ${what}.\n` +
    '# Use it with: orchard --config FILE ..., ORCHARD_CONFIG=FILE, or copy it to ~/.orchard/config (mode 600).\n' +
    stringify({ masters: [...c.masters], certificateAuthority: c.caPem, clientCertificate: c.certPem, clientKey: c.keyPem }, { lineWidth: 0 })
  );
}

/**
 * `orchard credentials create NAME --role viewer|admin [--ttl 8760h] [-o FILE]`: a client
 * certificate for a person or a tool (a dashboard, monitoring). The key pair is made
 * here; only a certificate signing request goes to the master, which signs it with the
 * cluster CA (admin credentials required) and records it in the audit log.
 */
export function credentialsCommand(ctx: Context, deps: { connect?: AdminConnector; writeFile?: PrivateFileWriter } = {}): Command {
  const connect = deps.connect ?? contextAdminConnector(ctx);
  const write = deps.writeFile ?? writePrivateFile;
  const credentials = new Command('credentials').description('Issue client credentials (a client certificate in a configuration file) for people and tools');
  credentials
    .command('create')
    .description(
      'Create credentials for NAME with a role: viewer (read-only, no Secrets: dashboards, monitoring) or admin (everything). ' +
        'The key is generated locally; the master signs a certificate signing request. Needs admin credentials.',
    )
    .argument('<name>', "user name (the certificate's common name): letters, digits, '.', '_', '@', '-', at most 64 characters")
    .requiredOption('--role <role>', 'viewer or admin')
    .option('--ttl <duration>', 'how long the certificate is valid, e.g. 8760h (a year), 720h, 30m', '8760h')
    .option('-o, --output <file>', 'write the credentials file here with mode 600 (default: print it)')
    .addHelpText('after', '\nExamples:\n  orchard credentials create grafana --role viewer -o grafana.conf\n  orchard --config grafana.conf get pods -A\n')
    .action(async (name: string, o: { role: string; ttl: string; output?: string }, cmd: Command) => {
      if (!(o.role in ROLE_ORGANIZATION)) throw new Error(`--role must be viewer or admin, got ${JSON.stringify(o.role)}`);
      const role = o.role as UserRole;
      if (!USER_NAME.test(name)) {
        throw new Error(`invalid name ${JSON.stringify(name)}: use letters, digits, '.', '_', '@' and '-', start with a letter or digit, at most 64 characters`);
      }
      let ttlMs: number;
      try {
        ttlMs = parseDuration(o.ttl);
      } catch (err) {
        throw new Error(`--ttl: ${(err as Error).message}`);
      }
      if (ttlMs < 60_000) throw new Error(`--ttl must be at least 1m, got "${o.ttl}"`);
      const { keyPem, csrPem } = await userKeyAndCsr(name, role);
      const res = await connect(globalsOf(cmd), (api) => api.createCredentials({ name, role, csrPem, ttlSeconds: Math.round(ttlMs / 1000) }));
      const text = credentialsFile({ name, role, expires: res.expires, masters: res.masters, caPem: res.caPem, certPem: res.certificatePem, keyPem });
      if (!o.output) {
        ctx.io.stdout(text);
        return;
      }
      await write(o.output, text);
      ctx.io.stdout(`credentials for "${name}" (role ${role}, valid until ${res.expires}) written to ${o.output}\n`);
    });
  return credentials;
}
