import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The master's real join code stands in for the master (test-only imports).
import { createCA, issueClientCert, issueServingCert, renewNodeCertificate, signJoinRequest, identityFromCert, type CertifiedKey } from '../../../master/src/pki';
import { issueToken, JoinRateLimiter, MemoryTokenStore } from '../../../master/src/tokens';
import { caPin } from './ca-pin';
import { joinCluster, parseServerAddress, type JoinTransport } from './join-cluster';
import { renewIfNeeded } from './renew';
import { loadCredentials } from './credentials';
import { CaPinMismatchError, JoinError } from './errors';

let ca: CertifiedKey;
let tmp: string;
let server: tls.Server;
let port: number;
const DAY = 86_400_000;

beforeAll(async () => {
  ca = await createCA('orchard-ca');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'orchard-joincluster-'));
  // A master's TLS endpoint: serving certificate followed by the CA.
  const serving = await issueServingCert(ca, { masterName: 'm1', names: ['localhost'], ips: ['127.0.0.1'] });
  server = tls.createServer({ cert: serving.certPem + ca.certPem, key: serving.keyPem, ALPNProtocols: ['h2'] }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** An in-process master: token store, rate limiter and the real signer. */
async function fakeMaster(opts: { uses?: number } = {}) {
  const tokens = new MemoryTokenStore();
  const { token } = await issueToken(tokens, { now: Date.now(), uses: opts.uses ?? 1 });
  const calls: string[] = [];
  const transport: JoinTransport = {
    async requestCertificate(req) {
      calls.push(req.csrPem);
      expect(req.caPem).toContain('BEGIN CERTIFICATE');
      const r = await signJoinRequest(
        { ca, tokens, limiter: new JoinRateLimiter({ clock: { now: Date.now } }), nameTaken: async () => false },
        { peer: 'ipv4:127.0.0.1:1', token: req.token, csrPem: req.csrPem, usage: req.role, now: Date.now() },
      );
      return r.certPem;
    },
  };
  return { token, transport, calls };
}

describe('joinCluster', () => {
  it('joins over a real TLS endpoint: pins the CA, gets a certificate for this node, stores 0600 credentials', async () => {
    const { token, transport } = await fakeMaster();
    const dir = path.join(tmp, 'pi1', 'pki');
    const creds = await joinCluster({ server: `127.0.0.1:${port}`, token, caCertHash: caPin(ca.certPem), name: 'pi1', dir, transport });
    expect(identityFromCert(creds.certPem)).toEqual({ role: 'node', commonName: 'system:node:pi1', nodeName: 'pi1' });
    expect(await loadCredentials(dir)).toEqual(creds);
    expect((await fs.stat(path.join(dir, 'node.key'))).mode & 0o777).toBe(0o600);
  });

  it('refuses another CA (a man in the middle) before sending anything, and writes nothing', async () => {
    const { token, transport, calls } = await fakeMaster();
    const mitm = await createCA('orchard-ca');
    const dir = path.join(tmp, 'mitm', 'pki');
    const err = await joinCluster({
      server: `127.0.0.1:${port}`,
      token,
      caCertHash: caPin(mitm.certPem),
      name: 'pi2',
      dir,
      transport,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaPinMismatchError);
    expect((err as Error).message).toContain(caPin(ca.certPem));
    expect((err as Error).message).toContain(caPin(mitm.certPem));
    expect(calls).toHaveLength(0);
    await expect(fs.stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports the master refusing a used-up token, and writes nothing', async () => {
    const { token, transport } = await fakeMaster({ uses: 1 });
    await joinCluster({ server: `127.0.0.1:${port}`, token, caCertHash: caPin(ca.certPem), name: 'pi3', dir: path.join(tmp, 'pi3'), transport });
    const dir = path.join(tmp, 'pi4');
    await expect(
      joinCluster({ server: `127.0.0.1:${port}`, token, caCertHash: caPin(ca.certPem), name: 'pi4', dir, transport }),
    ).rejects.toThrow(/the master at 127\.0\.0\.1:\d+ refused to join system:node:pi4: token \w{6} has been used up/);
    await expect(fs.stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a certificate for another identity from a misbehaving master', async () => {
    const { token } = await fakeMaster();
    const lying: JoinTransport = {
      requestCertificate: async () => (await issueClientCert(ca, { role: 'admin', user: 'admin' })).certPem,
    };
    await expect(
      joinCluster({ server: `127.0.0.1:${port}`, token, caCertHash: caPin(ca.certPem), name: 'pi5', dir: path.join(tmp, 'pi5'), transport: lying }),
    ).rejects.toThrow('the master returned a certificate for "CN=admin, O=orchard:admins", expected system:node:pi5');
  });

  it('refuses to overwrite the credentials of an earlier join', async () => {
    const first = await fakeMaster();
    const dir = path.join(tmp, 'twice');
    await joinCluster({ server: `127.0.0.1:${port}`, token: first.token, caCertHash: caPin(ca.certPem), name: 'pi6', dir, transport: first.transport });
    const second = await fakeMaster();
    await expect(
      joinCluster({ server: `127.0.0.1:${port}`, token: second.token, caCertHash: caPin(ca.certPem), name: 'pi6', dir, transport: second.transport }),
    ).rejects.toThrow(`this machine has already joined (credentials in ${dir})`);
  });

  it.each([
    ['a bad address', { server: 'nope' }, 'master address must be HOST:PORT'],
    ['a bad token', { token: 'abc' }, '--token must look like "abcdef.0123456789abcdef"'],
    ['a bad hash', { caCertHash: 'sha256:00' }, '--discovery-token-ca-cert-hash must be "sha256:" followed by 64 hex digits'],
    ['a bad node name', { name: 'Pi_1' }, 'invalid node name "Pi_1"'],
  ])('checks %s before using the network', async (_name, override, message) => {
    let fetched = false;
    const err = await joinCluster({
      server: '127.0.0.1:1',
      token: 'abcdef.0123456789abcdef',
      caCertHash: caPin(ca.certPem),
      name: 'pi1',
      dir: path.join(tmp, 'never'),
      transport: { requestCertificate: async () => '' },
      fetchCa: async () => {
        fetched = true;
        return ca.certPem;
      },
      ...override,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JoinError);
    expect((err as Error).message).toContain(message);
    expect(fetched).toBe(false);
  });
});

describe('parseServerAddress', () => {
  it.each([
    ['192.168.1.10:7443', { host: '192.168.1.10', port: 7443 }],
    ['pi-master.local:7443', { host: 'pi-master.local', port: 7443 }],
    ['[fe80::1]:7443', { host: 'fe80::1', port: 7443 }],
  ])('%s', (input, expected) => {
    expect(parseServerAddress(input)).toEqual(expected);
  });
});

describe('renewIfNeeded', () => {
  it('keeps a fresh certificate and renews one in its last third, for the same node, with a new key', async () => {
    const { token, transport } = await fakeMaster();
    const dir = path.join(tmp, 'renew');
    const joined = await joinCluster({ server: `127.0.0.1:${port}`, token, caCertHash: caPin(ca.certPem), name: 'pi8', dir, transport });
    let renewCalls = 0;
    const renew = async ({ current, csrPem }: { current: { certPem: string }; csrPem: string }) => {
      renewCalls++;
      return renewNodeCertificate(ca, identityFromCert(current.certPem), csrPem);
    };
    const now = Date.now();
    expect(await renewIfNeeded({ dir, now, renew })).toEqual({ renewed: false, credentials: joined });
    expect(renewCalls).toBe(0);

    const later = await renewIfNeeded({ dir, now: now + 61 * DAY, renew });
    expect(later.renewed).toBe(true);
    expect(later.credentials.keyPem).not.toBe(joined.keyPem);
    expect(identityFromCert(later.credentials.certPem)).toMatchObject({ nodeName: 'pi8' });
    expect(await loadCredentials(dir)).toEqual(later.credentials);
  });

  it('leaves the current credentials in place when the master refuses', async () => {
    const { token, transport } = await fakeMaster();
    const dir = path.join(tmp, 'renew-fail');
    const joined = await joinCluster({ server: `127.0.0.1:${port}`, token, caCertHash: caPin(ca.certPem), name: 'pi9', dir, transport });
    await expect(
      renewIfNeeded({ dir, now: Date.now() + 80 * DAY, renew: async () => Promise.reject(new Error('node "pi9" not found')) }),
    ).rejects.toThrow('failed to renew the certificate of node pi9: node "pi9" not found');
    expect(await loadCredentials(dir)).toEqual(joined);
  });
});
