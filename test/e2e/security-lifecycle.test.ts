import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Metadata, status as GrpcStatus, credentials, type ServiceError } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { describe, expect, inject, it } from 'vitest';
import { BootstrapServiceClient, ClusterServiceClient, CreateCredentialsRequest, RenewCertificateRequest } from '@orchard/api';
import { generateKeyAndCsr } from '../../packages/agent/src/join/csr';
import { describeResult, itemsOf, orchardOk, sleep, waitFor } from '../bed/cli';
import { readClientConfig, tlsCredentials } from '../bed/cluster-client';
import { endpoints } from '../bed/etcd';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { logTail } from '../bed/processes';
import { useCluster } from '../bed/use-cluster';
import { decrypt, encrypt } from '../../packages/master/src/secrets/envelope';
import { createKeyring } from '../../packages/master/src/secrets/keyring';

// Issue 5, the lifecycle of credentials and keys: viewer and admin credentials issued
// from the CLI, node certificates that renew themselves (here every few seconds), and a
// key rotation for Secrets at rest that re-encrypts every Secret.

const bed = inject('bed');
/** Node certificates live this long here, so the agent renews several times in a test. */
const NODE_CERT_VALIDITY_S = 24;
const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');

function writeEncryptionConfig(current: string, keys: Record<string, string>): void {
  writeFileSync(encryptionConfig, `current: ${current}\nkeys:\n${Object.entries(keys).map(([id, k]) => `  ${id}: ${k}\n`).join('')}`, { mode: 0o600 });
}

// The encryption config is a file the masters read at start; its content changes between restarts.
const encryptionConfig = path.join(bed.runsDir, `security-lifecycle-encryption-${Date.now()}.yaml`);
writeEncryptionConfig('a', { a: KEY_A });
const c = useCluster(
  bed,
  {
    name: 'security-lifecycle',
    nodes: bed.nodes.slice(0, 1),
    masterArgs: ['--encryption-config', encryptionConfig, '--node-cert-validity', `${NODE_CERT_VALIDITY_S}s`],
  },
  { readyTimeoutMs: 60_000 },
);
const runDir = () => c().runDir;

const POD = (name: string, node: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
`;

const SECRET = (name: string, value: string) => `
apiVersion: v1
kind: Secret
metadata:
  name: ${name}
stringData:
  password: ${value}
`;

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('credentials from the CLI', () => {
  let viewerConf = '';

  it('an admin creates viewer credentials: a 0600 file the CLI uses as it is', async () => {
    viewerConf = path.join(runDir(), 'grafana.conf');
    const out = await orchardOk(c().cli, ['credentials', 'create', 'grafana', '--role', 'viewer', '--ttl', '720h', '-o', viewerConf]);
    expect(out).toMatch(/^credentials for "grafana" \(role viewer, valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\) written to /);
    expect(mode(viewerConf)).toBe('600');
    const conf = readClientConfig(viewerConf);
    const cert = new X509Certificate(conf.clientCertificate!);
    expect(cert.subject).toBe('CN=grafana\nO=orchard:viewers');
    // Same format as the admin.conf a master writes: masters, CA, certificate, key.
    expect(conf.certificateAuthority).toBe(readClientConfig(c().adminConfig).certificateAuthority);
    expect(Object.keys(readClientConfig(c().adminConfig)).sort()).toEqual(Object.keys(conf).sort());
    const validDays = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(validDays).toBeGreaterThan(29.9);
    expect(validDays).toBeLessThan(30.1);
    // Recorded in the audit log: who issued what to whom.
    const audit = readFileSync(path.join(runDir(), 'master-m1', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toContainEqual(expect.objectContaining({ who: 'admin', role: 'admin', what: 'ClusterService/CreateCredentials', objects: ['credentials viewer/grafana'], result: 'OK' }));
  });

  it('a viewer reads pods and nodes', async () => {
    await orchardOk(c().cli, ['apply', '-f', '-'], { input: POD('viewed', c().nodes[0]!.name) });
    const pods = itemsOf(await orchardOk(c().cli, ['--config', viewerConf, 'get', 'pods', '-o', 'json']));
    expect(pods.map((p) => p.metadata?.name)).toContain('viewed');
    expect(await orchardOk(c().cli, ['--config', viewerConf, 'get', 'nodes'])).toContain(c().nodes[0]!.name);
  });

  const denied: Array<{ name: string; args: string[]; input?: string; error: RegExp }> = [
    { name: 'reading secrets', args: ['get', 'secrets'], error: /^error: viewer "grafana" may not read secrets \(viewers see everything else\)$/m },
    { name: 'applying', args: ['apply', '-f', '-'], input: POD('by-viewer', 'nowhere'), error: /^error: viewer "grafana" may not call ClusterService\/Apply: viewer certificates are read-only$/m },
    { name: 'creating credentials', args: ['credentials', 'create', 'root', '--role', 'admin'], error: /^error: viewer "grafana" may not call ClusterService\/CreateCredentials: viewer certificates are read-only$/m },
    { name: 're-encrypting secrets', args: ['secrets', 'reencrypt'], error: /^error: viewer "grafana" may not call ClusterService\/ReencryptSecrets/m },
  ];
  for (const tc of denied) {
    it(`a viewer is refused ${tc.name}, with a clear message`, async () => {
      const args = ['--config', viewerConf, ...tc.args];
      const r = await c().cli(args, { input: tc.input });
      expect(r.code, describeResult(args, r)).not.toBe(0);
      expect(r.stderr, describeResult(args, r)).toMatch(tc.error);
    });
  }
  it('nothing a viewer was refused was written', async () => {
    expect(itemsOf(await orchardOk(c().cli, ['get', 'pods', '-o', 'json'])).map((p) => p.metadata?.name)).not.toContain('by-viewer');
    const audit = readFileSync(path.join(runDir(), 'master-m1', 'audit.log'), 'utf8');
    expect(audit).not.toMatch(/"result":"OK"[^\n]*credentials admin\/root|credentials admin\/root[^\n]*"result":"OK"/);
    expect(audit).toMatch(/"who":"grafana","role":"viewer","what":"ClusterService\/CreateCredentials"[^\n]*"result":"PERMISSION_DENIED"/);
  });

  it('an admin creates admin credentials; they read secrets', async () => {
    const conf = path.join(runDir(), 'ops.conf');
    await orchardOk(c().cli, ['credentials', 'create', 'ops@example.org', '--role', 'admin', '-o', conf]);
    expect(mode(conf)).toBe('600');
    await orchardOk(c().cli, ['apply', '-f', '-'], { input: SECRET('ops-check', 'swordfish') });
    const s = JSON.parse(await orchardOk(c().cli, ['--config', conf, 'get', 'secret', 'ops-check', '-o', 'json'])) as { data: Record<string, string> };
    expect(Buffer.from(s.data.password!, 'base64').toString()).toBe('swordfish');
    await orchardOk(c().cli, ['delete', 'secret', 'ops-check']);
  });

  const badInput: Array<{ name: string; args: string[]; error: RegExp }> = [
    { name: 'an unknown role', args: ['credentials', 'create', 'x', '--role', 'operator'], error: /^error: --role must be viewer or admin, got "operator"$/m },
    { name: 'a bad name', args: ['credentials', 'create', 'no spaces', '--role', 'viewer'], error: /^error: invalid name "no spaces": use letters/m },
    { name: 'no role', args: ['credentials', 'create', 'x'], error: /required option '--role <role>' not specified/ },
  ];
  for (const tc of badInput) {
    it(`the CLI refuses ${tc.name}, naming the field`, async () => {
      const r = await c().cli(tc.args);
      expect(r.code, describeResult(tc.args, r)).not.toBe(0);
      expect(r.stderr, describeResult(tc.args, r)).toMatch(tc.error);
    });
  }

  it('the master refuses bad input too (INVALID_ARGUMENT naming the field), whatever the client', async () => {
    const client = new ClusterServiceClient(c().masters[0]!.address, tlsCredentials(readClientConfig(c().adminConfig)));
    const call = (req: Partial<CreateCredentialsRequest>) =>
      new Promise<ServiceError>((resolve, reject) =>
        client.createCredentials(CreateCredentialsRequest.fromPartial(req), new Metadata(), { deadline: Date.now() + 10_000 }, (err) =>
          err ? resolve(err) : reject(new Error('expected a refusal')),
        ),
      );
    try {
      const { csrPem } = await generateKeyAndCsr('pi9', 'node');
      const role = await call({ name: 'x', role: 'node', csrPem });
      expect([role.code, role.details]).toEqual([GrpcStatus.INVALID_ARGUMENT, 'role: must be one of admin, viewer, got "node"']);
      const name = await call({ name: 'a b', role: 'viewer', csrPem });
      expect(name.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(name.details).toMatch(/^name: invalid user name "a b"/);
      // A CSR for a node identity under a viewer request: refused, nothing issued.
      const csr = await call({ name: 'pi9', role: 'viewer', csrPem });
      expect(csr.code).toBe(GrpcStatus.PERMISSION_DENIED);
      expect(csr.details).toMatch(/asks for "system:node:pi9 in orchard:nodes" but may only ask for "pi9 in orchard:viewers"/);
    } finally {
      client.close();
    }
  });
});

describe('node certificate renewal', () => {
  const pki = () => path.join(runDir(), `agent-${c().nodes[0]!.name}`, 'pki');
  const nodeCert = () => new X509Certificate(readFileSync(path.join(pki(), 'node.crt')));

  it(`the agent renews its ${NODE_CERT_VALIDITY_S} s certificate before it expires, keeps its pods and its node Ready`, async () => {
    const pi1 = c().nodes[0]!;
    const first = nodeCert();
    const firstNotAfter = Date.parse(first.validTo);
    // The master signs node certificates for --node-cert-validity.
    expect(firstNotAfter - Date.parse(first.validFrom)).toBeLessThanOrEqual(NODE_CERT_VALIDITY_S * 1.5 * 1000);
    await c().waitPodPhase('viewed', 'Running', 60_000);
    const [container] = await c().podContainers(pi1, 'viewed');
    expect(container, 'the pod has a container').toBeDefined();

    // Two renewals in a row; each one replaces the files (0600) with a later certificate.
    const serials = [first.serialNumber];
    let last = first;
    for (let round = 0; round < 2; round++) {
      last = await waitFor(
        `renewal ${round + 1} of the node certificate`,
        async () => {
          const cert = nodeCert();
          if (serials.includes(cert.serialNumber)) throw new Error(`still serial ${cert.serialNumber}, valid to ${cert.validTo}`);
          return cert;
        },
        { timeoutMs: NODE_CERT_VALIDITY_S * 3 * 1000, intervalMs: 500 },
      );
      serials.push(last.serialNumber);
      for (const f of ['node.key', 'node.crt', 'ca.crt']) expect(mode(path.join(pki(), f)), f).toBe('600');
      expect(mode(pki())).toBe('700');
      expect(last.subject).toBe(`CN=system:node:${pi1.name}\nO=orchard:nodes`);
    }
    expect(Date.parse(last.validTo)).toBeGreaterThan(firstNotAfter);
    expect(logTail(c().agents.get(pi1.name)!, 400)).toMatch(/renewed the node certificate/);

    // Past the first certificate's end: the node is still Ready, its pod still runs in the
    // same container, and a new pod reaches it (the stream works on).
    await sleep(Math.max(0, firstNotAfter + 2_000 - Date.now()));
    expect(c().agents.get(pi1.name)!.exit, 'agent process').toBeUndefined();
    await c().waitNodesReady([pi1], 30_000);
    const [still] = await c().podContainers(pi1, 'viewed');
    expect(still?.id).toBe(container!.id);
    expect((await c().getPod('viewed'))?.status?.phase).toBe('Running');
    await orchardOk(c().cli, ['apply', '-f', '-'], { input: POD('after-renewal', pi1.name) });
    await c().waitPodPhase('after-renewal', 'Running', 60_000);
  });

  it('a node deleted with orchard delete node cannot renew its certificate', async () => {
    const pi1 = c().nodes[0]!;
    for (const p of ['viewed', 'after-renewal']) await orchardOk(c().cli, ['delete', 'pod', p]);
    await waitFor('the pods to leave the node', async () => (await c().podContainers(pi1, 'viewed')).length + (await c().podContainers(pi1, 'after-renewal')).length === 0, { timeoutMs: 60_000 });
    await orchardOk(c().cli, ['delete', 'node', pi1.name]);
    const before = nodeCert();

    // The renewal call itself, with the node's own key and certificate: refused.
    const read = (f: string) => readFileSync(path.join(pki(), f));
    const client = new BootstrapServiceClient(c().masters[0]!.address, credentials.createSsl(read('ca.crt'), read('node.key'), read('node.crt')));
    try {
      const { csrPem } = await generateKeyAndCsr(pi1.name, 'node');
      const err = await new Promise<ServiceError>((resolve, reject) =>
        client.renewCertificate(RenewCertificateRequest.fromPartial({ csrPem }), new Metadata(), { deadline: Date.now() + 10_000 }, (e) =>
          e ? resolve(e) : reject(new Error('a deleted node renewed its certificate')),
        ),
      );
      expect(err.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(err.details).toMatch(new RegExp(`^node "${pi1.name}" was deleted from the cluster; its certificate is no longer accepted`));
    } finally {
      client.close();
    }

    // The agent's own attempts fail the same way, and its certificate stays as it was.
    const agent = c().agents.get(pi1.name)!;
    await waitFor('the agent to try renewing and be refused', async () => /was deleted from the cluster[^\n]*certificate renewal failed/.test(logTail(agent, 400)), {
      timeoutMs: NODE_CERT_VALIDITY_S * 3 * 1000,
      intervalMs: 500,
    });
    expect(nodeCert().serialNumber).toBe(before.serialNumber);
    await c().stopAgent(pi1);
  });
});

describe('encryption key rotation', () => {
  const NAMES = ['db', 'api', 'cache'];
  const prefix = '/orchard/registry/secrets/';

  /** Each Secret's stored value header: the key id it was encrypted with. */
  async function keyIds(): Promise<Record<string, string>> {
    const r = await c().etcdctl(['get', '--prefix', prefix, '-w', 'json']);
    const kvs = (JSON.parse(r.stdout).kvs ?? []) as Array<{ key: string; value: string }>;
    const out: Record<string, string> = {};
    for (const kv of kvs) {
      const value = Buffer.from(kv.value, 'base64').toString('latin1');
      out[Buffer.from(kv.key, 'base64').toString().slice(prefix.length)] = /^orchard:enc:aesgcm:v1:([A-Za-z0-9_-]+):/.exec(value)?.[1] ?? '(plaintext)';
    }
    return out;
  }

  async function restartMaster(): Promise<void> {
    await c().stopMaster('m1');
    await c().startMaster(1);
  }

  const all = (id: string) => Object.fromEntries(NAMES.map((n) => [`default/${n}`, id]));

  it('Secrets written under key a are re-encrypted under b by the leader after a restart with [b, a]', async () => {
    for (const n of NAMES) await orchardOk(c().cli, ['apply', '-f', '-'], { input: SECRET(n, `${n}-password`) });
    expect(await keyIds()).toEqual(all('a'));

    writeEncryptionConfig('b', { b: KEY_B, a: KEY_A });
    await restartMaster();
    await waitFor('every secret to be under key b', async () => {
      const ids = await keyIds();
      if (!isDeepStrictEqual(ids, all('b'))) throw new Error(JSON.stringify(ids));
      return true;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(logTail(c().masters[0]!.proc, 400)).toMatch(/"total":3,"rewritten":3,"keyId":"b"[^\n]*secrets re-encrypted with the current encryption key/);
  });

  it('orchard secrets reencrypt rewrites what is still under an old key and reports the count', async () => {
    // A Secret put back under key a behind the masters' back (as a restore from an old backup would).
    const key = `${prefix}default/db`;
    const etcd = new Etcd3({ hosts: endpoints(c().etcd) });
    try {
      const keyring = createKeyring('a', { a: Buffer.from(KEY_A, 'base64'), b: Buffer.from(KEY_B, 'base64') });
      const current = await etcd.get(key).buffer();
      if (!current) throw new Error(`${key} is missing`);
      await etcd.put(key).value(encrypt(keyring, decrypt(keyring, current, { context: key }), { context: key }));
    } finally {
      etcd.close();
    }
    expect((await keyIds())['default/db']).toBe('a');
    expect(await orchardOk(c().cli, ['secrets', 'reencrypt'])).toBe('1 of 3 secrets re-encrypted; every secret is now encrypted with key "b"\n');
    expect(await keyIds()).toEqual(all('b'));
    expect(await orchardOk(c().cli, ['secrets', 'reencrypt'])).toBe('0 of 3 secrets re-encrypted; every secret is now encrypted with key "b"\n');
  });

  it('with key a removed ([b] only), every Secret still reads correctly', async () => {
    writeEncryptionConfig('b', { b: KEY_B });
    await restartMaster();
    for (const n of NAMES) {
      const s = JSON.parse(await orchardOk(c().cli, ['get', 'secret', n, '-o', 'json'])) as { data: Record<string, string> };
      expect(Buffer.from(s.data.password!, 'base64').toString(), n).toBe(`${n}-password`);
    }
    expect(await keyIds()).toEqual(all('b'));
  });
});
