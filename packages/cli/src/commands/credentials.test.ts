import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { CreateCredentialsResponse, ReencryptSecretsResponse, type CreateCredentialsRequest } from '@orchard/api';
// The master's PKI signs what the CLI generates: a real round trip (test-only import).
import { createCA, identityFromCert, signUserCredentials, type CertifiedKey } from '../../../master/src/pki';
import { parseClientConfig } from '../client-config';
import type { Context } from '../context';
import type { Io } from '../io';
import type { AdminApi } from '../client';
import type { AdminConnector } from './admin-calls';
import { credentialsCommand } from './credentials';
import { secretsCommand } from './secrets';

let ca: CertifiedKey;
beforeAll(async () => {
  ca = await createCA('orchard-ca');
});

function harness() {
  const out: string[] = [];
  const files = new Map<string, string>();
  const requests: CreateCredentialsRequest[] = [];
  const api: AdminApi = {
    createCredentials: async (req) => {
      requests.push(req);
      const certificatePem = await signUserCredentials(ca, { name: req.name, role: req.role, csrPem: req.csrPem, ttlMs: req.ttlSeconds * 1000 });
      return CreateCredentialsResponse.fromPartial({ certificatePem, caPem: ca.certPem, masters: ['192.168.1.10:7443'], expires: '2027-11-25T12:00:00Z' });
    },
    reencryptSecrets: async () => ReencryptSecretsResponse.fromPartial({ total: 12, rewritten: 9, keyId: 'k2' }),
  };
  const connect: AdminConnector = (_opts, fn) => fn(api);
  const ctx = { io: { stdout: (s: string) => out.push(s) } as unknown as Io, connect: () => { throw new Error('not used'); } } as Context;
  const run = (cmd: Command, args: string[]) => {
    cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    return cmd.parseAsync(args, { from: 'user' });
  };
  return { out, files, requests, ctx, connect, run, writeFile: async (f: string, t: string) => void files.set(f, t) };
}

describe('orchard credentials create', () => {
  it('writes a viewer credentials file: a locally made key, the signed certificate, the CA and the masters', async () => {
    const h = harness();
    await h.run(credentialsCommand(h.ctx, h), ['create', 'grafana', '--role', 'viewer', '--ttl', '720h', '-o', 'grafana.conf']);
    expect(h.requests).toEqual([expect.objectContaining({ name: 'grafana', role: 'viewer', ttlSeconds: 720 * 3600 })]);
    expect(h.requests[0]!.csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const cfg = parseClientConfig(h.files.get('grafana.conf')!, 'grafana.conf');
    expect(cfg.masters).toEqual(['192.168.1.10:7443']);
    expect(cfg.certificateAuthority).toBe(ca.certPem);
    expect(identityFromCert(cfg.clientCertificate!, { caCertPem: ca.certPem })).toEqual({ role: 'viewer', commonName: 'grafana' });
    const keySpki = createPublicKey(createPrivateKey(cfg.clientKey!)).export({ type: 'spki', format: 'der' });
    expect(keySpki.equals(new X509Certificate(cfg.clientCertificate!).publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(h.files.get('grafana.conf')).toMatch(/^# Orchard client credentials for "grafana" \(role viewer, valid until 2027-11-25T12:00:00Z\)/);
    expect(h.out.join('')).toBe('credentials for "grafana" (role viewer, valid until 2027-11-25T12:00:00Z) written to grafana.conf\n');
  });

  it('prints the file without -o', async () => {
    const h = harness();
    await h.run(credentialsCommand(h.ctx, h), ['create', 'ops', '--role', 'admin']);
    const cfg = parseClientConfig(h.out.join(''), 'stdout');
    expect(identityFromCert(cfg.clientCertificate!)).toEqual({ role: 'admin', commonName: 'ops' });
    expect(h.requests[0]!.ttlSeconds).toBe(8760 * 3600);
  });

  const refusals: Array<{ name: string; args: string[]; error: RegExp }> = [
    { name: 'an unknown role', args: ['create', 'grafana', '--role', 'operator'], error: /^--role must be viewer or admin, got "operator"$/ },
    { name: 'a bad name', args: ['create', 'bad/name', '--role', 'viewer'], error: /^invalid name "bad\/name": use letters/ },
    { name: 'a bad --ttl', args: ['create', 'grafana', '--role', 'viewer', '--ttl', 'forever'], error: /^--ttl: invalid duration "forever"/ },
    { name: 'a --ttl under a minute', args: ['create', 'grafana', '--role', 'viewer', '--ttl', '10s'], error: /^--ttl must be at least 1m/ },
  ];
  for (const tc of refusals) {
    it(`refuses ${tc.name} before asking the master`, async () => {
      const h = harness();
      await expect(h.run(credentialsCommand(h.ctx, h), tc.args)).rejects.toThrow(tc.error);
      expect(h.requests).toEqual([]);
      expect(h.files.size).toBe(0);
    });
  }
});

describe('orchard secrets reencrypt', () => {
  it('reports the count and the current key', async () => {
    const h = harness();
    await h.run(secretsCommand(h.ctx, h), ['reencrypt']);
    expect(h.out.join('')).toBe('9 of 12 secrets re-encrypted; every secret is now encrypted with key "k2"\n');
  });
});
