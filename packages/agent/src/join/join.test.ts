import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The master's PKI signs what the agent generates: a real round trip (test-only import).
import { createCA, issueServingCert, joinGrant, signCsr, type CertifiedKey } from '../../../master/src/pki';
import { caPin, parseCaPin } from './ca-pin';
import { fetchAndPinCA } from './pinned-ca';
import { fetchCaFromServer } from './fetch-ca';
import { generateKeyAndCsr } from './csr';
import { CREDENTIAL_FILES, loadCredentials, writeCredentials } from './credentials';
import { needsRenewal } from './renewal';
import { CaPinMismatchError, CredentialsError } from './errors';
import { nextRenewalCheck } from '../node-credentials';

let ca: CertifiedKey;
let tmp: string;
beforeAll(async () => {
  ca = await createCA('orchard-ca');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'orchard-join-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('caPin', () => {
  it('equals the openssl recipe kubeadm documents', () => {
    const hex = execFileSync('sh', ['-c', 'openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | cut -d" " -f1'], {
      input: ca.certPem,
      encoding: 'utf8',
    }).trim();
    expect(caPin(ca.certPem)).toBe(`sha256:${hex}`);
  });

  it.each([
    ['no prefix', 'abc'],
    ['a short hash', 'sha256:abcd'],
    ['md5', 'md5:' + 'a'.repeat(32)],
  ])('parseCaPin refuses %s', (_name, pin) => {
    expect(() => parseCaPin(pin)).toThrow('--discovery-token-ca-cert-hash must be "sha256:" followed by 64 hex digits');
  });

  it('parseCaPin accepts upper-case hex', () => {
    expect(parseCaPin('sha256:' + 'AB'.repeat(32))).toBe('sha256:' + 'ab'.repeat(32));
  });
});

describe('fetchAndPinCA', () => {
  it('returns the CA when the pin matches', async () => {
    await expect(fetchAndPinCA(async () => ca.certPem, caPin(ca.certPem))).resolves.toBe(new X509Certificate(ca.certPem).toString());
  });

  it('refuses another CA (a man in the middle) and names both hashes', async () => {
    const mitm = await createCA('orchard-ca');
    const err = await fetchAndPinCA(mitm.certPem, caPin(ca.certPem)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaPinMismatchError);
    expect((err as Error).message).toContain(`its public key hash is ${caPin(mitm.certPem)}`);
    expect((err as Error).message).toContain(`--discovery-token-ca-cert-hash is ${caPin(ca.certPem)}`);
  });

  it('refuses a pinned leaf that is not a CA', async () => {
    const leaf = await issueServingCert(ca, { masterName: 'm1', names: ['m1'], ips: [] });
    await expect(fetchAndPinCA(leaf.certPem, caPin(leaf.certPem))).rejects.toThrow('not a self-signed CA certificate');
  });

  it('wraps a failed fetch', async () => {
    await expect(fetchAndPinCA(() => Promise.reject(new Error('connection refused')), caPin(ca.certPem))).rejects.toThrow(
      'failed to fetch the cluster CA: connection refused',
    );
  });
});

describe('fetchCaFromServer', () => {
  async function serve(certChain: string, key: string): Promise<{ port: number; close(): void }> {
    const server = tls.createServer({ cert: certChain, key, ALPNProtocols: ['h2'] }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { port: (server.address() as { port: number }).port, close: () => server.close() };
  }

  it('reads the CA from a master that sends certificate + CA, which then passes the pin', async () => {
    const serving = await issueServingCert(ca, { masterName: 'm1', names: ['localhost'], ips: ['127.0.0.1'] });
    const srv = await serve(serving.certPem + ca.certPem, serving.keyPem);
    try {
      const fetched = await fetchCaFromServer('127.0.0.1', srv.port);
      expect(caPin(fetched)).toBe(caPin(ca.certPem));
      await expect(fetchAndPinCA(() => fetchCaFromServer('127.0.0.1', srv.port), caPin(ca.certPem))).resolves.toContain('BEGIN CERTIFICATE');
    } finally {
      srv.close();
    }
  });

  it('gives a pin mismatch, not trust, when a man in the middle serves its own CA', async () => {
    const mitm = await createCA('orchard-ca');
    const serving = await issueServingCert(mitm, { masterName: 'm1', names: ['localhost'], ips: ['127.0.0.1'] });
    const srv = await serve(serving.certPem + mitm.certPem, serving.keyPem);
    try {
      await expect(fetchAndPinCA(() => fetchCaFromServer('127.0.0.1', srv.port), caPin(ca.certPem))).rejects.toBeInstanceOf(CaPinMismatchError);
    } finally {
      srv.close();
    }
  });

  it('says so when the server sends no CA', async () => {
    const serving = await issueServingCert(ca, { masterName: 'm1', names: ['localhost'], ips: ['127.0.0.1'] });
    const srv = await serve(serving.certPem, serving.keyPem);
    try {
      await expect(fetchCaFromServer('127.0.0.1', srv.port)).rejects.toThrow('the server sent 1 certificate(s) and none is a self-signed CA');
    } finally {
      srv.close();
    }
  });

  it('reports a refused connection with the address', async () => {
    // A port that was just free: bind, note it, close.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    await expect(fetchCaFromServer('127.0.0.1', port)).rejects.toThrow(`cannot read the CA from 127.0.0.1:${port}: connect ECONNREFUSED`);
  });
});

describe('generateKeyAndCsr', () => {
  it('produces a CSR the master signs for this node only; the key stays here', async () => {
    const { keyPem, csrPem } = await generateKeyAndCsr('pi1');
    expect(csrPem).not.toContain('PRIVATE KEY');
    const certPem = await signCsr(ca, csrPem, joinGrant('node', 'pi1'));
    expect(new X509Certificate(certPem).subject).toBe('CN=system:node:pi1\nO=orchard:nodes');
    await expect(signCsr(ca, csrPem, joinGrant('node', 'pi2'))).rejects.toThrow('may only ask for "system:node:pi2 in orchard:nodes"');
    // The stored set is consistent: certificate belongs to the key.
    await writeCredentials(path.join(tmp, 'roundtrip'), { keyPem, certPem, caPem: ca.certPem });
  });

  it('asks for a master identity with a master token', async () => {
    const { csrPem } = await generateKeyAndCsr('m2', 'master');
    await expect(signCsr(ca, csrPem, joinGrant('master', 'm2'))).resolves.toContain('BEGIN CERTIFICATE');
  });

  it('refuses an invalid node name before generating anything', async () => {
    await expect(generateKeyAndCsr('Pi_1')).rejects.toThrow('invalid node name "Pi_1"');
  });
});

describe('writeCredentials / loadCredentials', () => {
  async function nodeCreds(name = 'pi1') {
    const { keyPem, csrPem } = await generateKeyAndCsr(name);
    return { keyPem, certPem: await signCsr(ca, csrPem, joinGrant('node', name)), caPem: ca.certPem };
  }

  it('writes 0600 files in a 0700 directory (tightening an existing one) and reads them back', async () => {
    const dir = path.join(tmp, 'data', 'pki');
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    const creds = await nodeCreds();
    await writeCredentials(dir, creds);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    for (const file of Object.values(CREDENTIAL_FILES)) expect((await fs.stat(path.join(dir, file))).mode & 0o777).toBe(0o600);
    expect((await fs.readdir(dir)).sort()).toEqual(['ca.crt', 'node.crt', 'node.key']);
    expect(await loadCredentials(dir)).toEqual(creds);
  });

  it('returns undefined before the first join', async () => {
    expect(await loadCredentials(path.join(tmp, 'never-joined'))).toBeUndefined();
  });

  it('refuses a partial set', async () => {
    const dir = path.join(tmp, 'partial');
    await writeCredentials(dir, await nodeCreds());
    await fs.unlink(path.join(dir, 'node.crt'));
    await expect(loadCredentials(dir)).rejects.toThrow('are incomplete (missing node.crt)');
  });

  it('refuses a key readable by others and says how to fix it', async () => {
    const dir = path.join(tmp, 'open');
    await writeCredentials(dir, await nodeCreds());
    await fs.chmod(path.join(dir, 'node.key'), 0o644);
    await expect(loadCredentials(dir)).rejects.toThrow(`fix with: chmod 600 ${path.join(dir, 'node.key')}`);
  });

  it('refuses to write a certificate that does not belong to the key, leaving nothing behind', async () => {
    const a = await nodeCreds('pi1');
    const b = await nodeCreds('pi2');
    const dir = path.join(tmp, 'mismatch');
    const err = await writeCredentials(dir, { ...a, certPem: b.certPem }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toContain('the certificate does not belong to the private key');
    await expect(fs.stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a certificate from another CA', async () => {
    const other = await createCA('other');
    const creds = await nodeCreds();
    await expect(writeCredentials(path.join(tmp, 'otherca'), { ...creds, caPem: other.certPem })).rejects.toThrow(
      'was not issued by the stored cluster CA',
    );
  });

  it('uses the injected file system', async () => {
    const calls: string[] = [];
    const files = new Map<string, string>();
    const fake = {
      mkdir: async (d: string, o: { mode: number }) => void calls.push(`mkdir ${d} ${o.mode.toString(8)}`),
      chmod: async (f: string, m: number) => void calls.push(`chmod ${path.basename(f)} ${m.toString(8)}`),
      writeFile: async (f: string, data: string, o: { mode: number }) => {
        files.set(f, data);
        calls.push(`write ${path.basename(f)} ${o.mode.toString(8)}`);
      },
      rename: async (a: string, b: string) => {
        files.set(b, files.get(a)!);
        files.delete(a);
        calls.push(`rename ${path.basename(a)} ${path.basename(b)}`);
      },
      readFile: async (f: string) => {
        if (!files.has(f)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
        return files.get(f)!;
      },
      stat: async () => ({ mode: 0o100600 }),
      unlink: async () => {},
    };
    const creds = await nodeCreds();
    await writeCredentials('/var/lib/orchard/pki', creds, fake);
    expect(calls).toEqual([
      'mkdir /var/lib/orchard/pki 700',
      'chmod pki 700',
      'write node.key.tmp 600',
      'chmod node.key.tmp 600',
      'write ca.crt.tmp 600',
      'chmod ca.crt.tmp 600',
      'write node.crt.tmp 600',
      'chmod node.crt.tmp 600',
      'rename node.key.tmp node.key',
      'rename ca.crt.tmp ca.crt',
      'rename node.crt.tmp node.crt',
    ]);
    expect(await loadCredentials('/var/lib/orchard/pki', fake)).toEqual(creds);
  });
});

describe('needsRenewal', () => {
  it('is false when fresh and true in the last third of validity', async () => {
    const now = Date.now();
    const { csrPem } = await generateKeyAndCsr('pi1');
    const certPem = await signCsr(ca, csrPem, joinGrant('node', 'pi1', 90 * 86_400_000), { now });
    expect(needsRenewal(certPem, now)).toBe(false);
    expect(needsRenewal(certPem, now + 59 * 86_400_000)).toBe(false);
    expect(needsRenewal(certPem, now + 61 * 86_400_000)).toBe(true);
  });
});

describe('nextRenewalCheck', () => {
  const cases: Array<{ name: string; ttlMs: number; after: number; failed: boolean; wait: number }> = [
    { name: 'a 90-day certificate is looked at again within the hour', ttlMs: 90 * 86_400_000, after: 0, failed: false, wait: 3_600_000 },
    { name: 'a 30 s certificate is renewed once a third of its validity is left (backdate is half its life)', ttlMs: 30_000, after: 0, failed: false, wait: 15_000 },
    { name: 'after a failed renewal, a quarter of what is left', ttlMs: 30_000, after: 18_000, failed: true, wait: 3_000 },
    { name: 'never sooner than a second, even when overdue', ttlMs: 30_000, after: 29_900, failed: true, wait: 1_000 },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const now = Date.parse('2026-11-25T12:00:00Z');
      const { csrPem } = await generateKeyAndCsr('pi1');
      const certPem = await signCsr(ca, csrPem, joinGrant('node', 'pi1', tc.ttlMs), { now });
      expect(nextRenewalCheck(certPem, now + tc.after, tc.failed)).toBe(tc.wait);
    });
  }
});
