import { existsSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import http2 from 'node:http2';
import { credentials, Metadata, status as GrpcStatus, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  AgentMessage,
  ApplyRequest,
  BootstrapServiceClient,
  ClusterServiceClient,
  JoinRequest,
  NodeServiceClient,
  parseManifests,
  type JoinResponse,
  type MasterMessage,
} from '@orchard/api';
import { generateKeyAndCsr } from '../../packages/agent/src/join/csr';
import { createCA } from '../../packages/master/src/pki/ca';
import { issueClientCert } from '../../packages/master/src/pki/client-cert';
import { describeResult, itemsOf, orchardOk, parseTable, sleep, waitFor } from '../bed/cli';
import { startCluster, type TestCluster } from '../bed/cluster';
import { readClientConfig, tlsCredentials } from '../bed/cluster-client';
import type {} from '../bed/facts';
import { dumpLogsOnFailure } from '../bed/failure-logs';
import { TEST_IMAGES } from '../bed/images';
import { createJoinCommand, parseJoinCommand, type JoinCommand } from '../bed/join';
import { freePort } from '../bed/ports';
import { distMain, logTail, startAgent, startProcess, stopProcess, waitExit } from '../bed/processes';

// Issue 5, security: nothing joins, reads or changes the cluster without proving who it
// is. Each refusal is checked for its clear message AND for leaving the cluster unchanged.

const bed = inject('bed');
let cluster: TestCluster | undefined;

beforeAll(async () => {
  // No agents yet: the first test joins pi1 with the printed command, as a user would.
  cluster = await startCluster(bed, { name: 'security', nodes: bed.nodes.slice(0, 1), agents: false });
});
afterAll(async () => {
  await cluster?.teardown();
});
dumpLogsOnFailure(() => cluster);

function c(): TestCluster {
  if (!cluster) throw new Error('cluster not started');
  return cluster;
}

const master = () => c().masters[0]!.address;
const admin = (): ChannelCredentials => tlsCredentials(readClientConfig(c().adminConfig));
const caPem = (): string => readClientConfig(c().adminConfig).certificateAuthority;

/**
 * What must not change when a request is refused: every object and every token, with the
 * revision each was last written at. (Not the global etcd revision: leases of stopped
 * agents and masters expire in the background, which is no write of a refused request.)
 */
async function snapshot(): Promise<{ objects: string; tokens: string }> {
  const read = async (prefix: string) => {
    const r = await c().etcdctl(['get', '--prefix', prefix, '-w', 'json']);
    const kvs = (JSON.parse(r.stdout).kvs ?? []) as Array<{ key: string; value: string; mod_revision: number }>;
    return JSON.stringify(kvs.map((kv) => [Buffer.from(kv.key, 'base64').toString(), kv.mod_revision, kv.value]));
  };
  return { objects: await read('/orchard/registry/'), tokens: await read('/orchard/tokens/') };
}

async function expectUnchanged<T>(fn: () => Promise<T>): Promise<T> {
  const before = await snapshot();
  const out = await fn();
  await sleep(300);
  expect(await snapshot()).toEqual(before);
  return out;
}

/** A Join call as a joining machine makes it (TLS trusting the CA, no client certificate). */
async function join(token: string, name: string, usage: 'node' | 'master' = 'node'): Promise<JoinResponse> {
  const { csrPem } = await generateKeyAndCsr(name, usage);
  const client = new BootstrapServiceClient(master(), credentials.createSsl(Buffer.from(caPem())));
  try {
    return await new Promise<JoinResponse>((resolve, reject) =>
      client.join(JoinRequest.fromPartial({ token, csrPem, usage }), new Metadata(), { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res!))),
    );
  } finally {
    client.close();
  }
}

async function refused<T>(p: Promise<T>): Promise<ServiceError> {
  return p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (e: ServiceError) => e,
  );
}

function clusterClient(creds: ChannelCredentials): ClusterServiceClient {
  return new ClusterServiceClient(master(), creds);
}

function listPods(client: ClusterServiceClient): Promise<unknown> {
  return new Promise((resolve, reject) =>
    client.list({ kind: 'pods', namespace: '', allNamespaces: true, labelSelector: '', fieldSelector: '' }, new Metadata(), { deadline: Date.now() + 10_000 }, (e, r) => (e ? reject(e) : resolve(r))),
  );
}

/** The CLI still answers (the master survived whatever came before). */
async function masterStillServes(): Promise<void> {
  expect(c().masters[0]!.proc.exit, 'master process').toBeUndefined();
  await orchardOk(c().cli, ['get', 'nodes']);
}

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

let printed: JoinCommand;

describe('joining', () => {
  it('a node joins with the printed command and runs a pod over mutual TLS', async () => {
    const out = await orchardOk(c().cli, ['token', 'create', '--usages', '1', '--description', 'pi1', '--print-join-command']);
    printed = parseJoinCommand(out);
    expect(printed.line).toMatch(/^orchard-agent join \S+:\d+ --token [a-z0-9]{6}\.[a-z0-9]{16} --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}$/);
    c().joinCommand = printed;
    const pi1 = c().nodes[0]!;
    c().startAgent(pi1);
    await c().waitNodesReady([pi1]);
    // Key, certificate and CA stored with mode 0600; the token is now used up.
    const pki = path.join(c().runDir, `agent-${pi1.name}`, 'pki');
    for (const f of ['node.key', 'node.crt', 'ca.crt']) {
      expect((statSync(path.join(pki, f)).mode & 0o777).toString(8), f).toBe('600');
    }
    const list = parseTable(await orchardOk(c().cli, ['token', 'list']));
    expect(list.find((r) => r.ID === printed.token.slice(0, 6))?.['USES LEFT']).toBe('0');
    await orchardOk(c().cli, ['apply', '-f', c().manifestFile('mtls-pod.yaml', POD('mtls', pi1.name))]);
    await c().waitPodPhase('mtls', 'Running', 60_000);
  });

  it('refuses a wrong CA hash before sending anything (a man in the middle)', async () => {
    const pi2 = bed.nodes[1]!;
    const dataDir = path.join(c().runDir, 'agent-mitm');
    const wrong = `sha256:${'0'.repeat(64)}`;
    const token = await createJoinCommand(c().cli, ['--usages', '1']);
    const before = await snapshot();
    const proc = startAgent({ node: pi2, server: master(), dataDir, logFile: path.join(c().runDir, 'agent-mitm.log'), join: { ...token, caCertHash: wrong } });
    const exit = await waitExit(proc, 30_000);
    expect(exit.code, logTail(proc)).toBe(1);
    expect(readFileSync(proc.logFile, 'utf8')).toContain(`refusing to trust the cluster CA: its public key hash is ${token.caCertHash} but --discovery-token-ca-cert-hash is ${wrong}`);
    expect(existsSync(path.join(dataDir, 'pki')), 'no credentials written').toBe(false);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a wrong token secret', async () => {
    const good = await createJoinCommand(c().cli, ['--usages', '1']);
    const wrong = `${good.token.slice(0, 7)}${'x'.repeat(16)}`;
    const err = await expectUnchanged(() => refused(join(wrong, 'intruder')));
    expect(err.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(err.details).toBe(`token ${good.token.slice(0, 6)}: the secret part is wrong; copy the whole ID.SECRET value printed by orchard token create`);
  });

  it('refuses an expired token', async () => {
    const t = await createJoinCommand(c().cli, ['--ttl', '1s']);
    await sleep(1500);
    const err = await expectUnchanged(() => refused(join(t.token, 'late')));
    expect(err.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(err.details).toMatch(new RegExp(`^token ${t.token.slice(0, 6)} has expired \\(at .+Z\\); create a new one with: orchard token create$`));
    // token list removes expired tokens (so does the leader, every minute).
    expect(parseTable(await orchardOk(c().cli, ['token', 'list'])).map((r) => r.ID)).not.toContain(t.token.slice(0, 6));
  });

  it('refuses a used-up token (--usages 1 used twice)', async () => {
    const t = await createJoinCommand(c().cli, ['--usages', '1']);
    const first = await join(t.token, 'once');
    expect(first.certificatePem).toContain('BEGIN CERTIFICATE');
    const err = await expectUnchanged(() => refused(join(t.token, 'twice')));
    expect(err.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(err.details).toBe(`token ${t.token.slice(0, 6)} has been used up (no uses left); create a new one with: orchard token create --usages N`);
    await orchardOk(c().cli, ['delete', 'node', 'once']);
  });

  it('refuses a deleted token', async () => {
    const t = await createJoinCommand(c().cli);
    const id = t.token.slice(0, 6);
    expect(await orchardOk(c().cli, ['token', 'delete', id])).toBe(`token "${id}" deleted\n`);
    expect(parseTable(await orchardOk(c().cli, ['token', 'list'])).map((r) => r.ID)).not.toContain(id);
    const err = await expectUnchanged(() => refused(join(t.token, 'ghost')));
    expect(err.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(err.details).toBe(`token ${id} is unknown or was deleted (expired tokens are removed); create a new one with: orchard token create`);
  });

  it('refuses a node token for a master, and a name that is taken', async () => {
    const t = await createJoinCommand(c().cli);
    const asMaster = await expectUnchanged(() => refused(join(t.token, 'm9', 'master')));
    expect(asMaster.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(asMaster.details).toMatch(/may join nodes, not masters; create a master token with: orchard token create --master$/);
    const taken = await expectUnchanged(() => refused(join(t.token, c().nodes[0]!.name)));
    expect(taken.code).toBe(GrpcStatus.ALREADY_EXISTS);
    expect(taken.details).toBe(`node "${c().nodes[0]!.name}" already exists; to replace it, delete it first (orchard delete node ${c().nodes[0]!.name}) or join with another --node-name`);
  });

  it('a second master joins with a master token and receives the server secret and etcd endpoints', async () => {
    const out = await orchardOk(c().cli, ['token', 'create', '--master', '--usages', '1', '--print-join-command']);
    const t = parseJoinCommand(out);
    expect(out).toMatch(/^orchard-master join /);
    const res = await join(t.token, 'm2', 'master');
    expect(res.certificatePem).toContain('BEGIN CERTIFICATE');
    expect(res.serverSecret).toBe(readFileSync(c().serverSecretFile, 'utf8').trim());
    expect(res.etcdEndpoints.length).toBeGreaterThan(0);
    // A node join never carries the secret.
    const node = await createJoinCommand(c().cli, ['--usages', '1']);
    const nodeRes = await join(node.token, 'pi-secretless');
    expect(nodeRes.serverSecret).toBe('');
    await orchardOk(c().cli, ['delete', 'node', 'pi-secretless']);
  });
});

describe('a second master', () => {
  it('joins with orchard-master join and the printed master command, then serves the same cluster', async () => {
    const t = parseJoinCommand(await orchardOk(c().cli, ['token', 'create', '--master', '--usages', '1', '--print-join-command']));
    const address = `${bed.bridgeAddress}:${await freePort()}`;
    const dataDir = path.join(c().runDir, 'master-joined');
    const proc = startProcess('master joined', process.execPath, [distMain('master'), 'join', t.server, '--token', t.token, '--discovery-token-ca-cert-hash', t.caCertHash, '--name', 'mj', '--listen', address, '--data-dir', dataDir, '--registry-platform-lookup', 'false'], { logFile: path.join(c().runDir, 'master-joined.log') });
    try {
      await waitFor('the joined master to list itself', async () => {
        if (proc.exit) throw new Error(`joined master exited:\n${logTail(proc)}`);
        const r = await c().cli(['get', 'masters', '--server', address]);
        return r.code === 0 && parseTable(r.stdout).some((row) => row.NAME === 'mj');
      }, { timeoutMs: 30_000, intervalMs: 300 });
      expect((statSync(path.join(dataDir, 'server-secret')).mode & 0o777).toString(8)).toBe('600');
      expect(readFileSync(path.join(dataDir, 'server-secret'), 'utf8').trim()).toBe(readFileSync(c().serverSecretFile, 'utf8').trim());
      // The same objects through the new master: one cluster.
      const viaNew = await orchardOk(c().cli, ['get', 'pods', '--server', address, '-o', 'name']);
      expect(viaNew).toBe(await orchardOk(c().cli, ['get', 'pods', '-o', 'name']));
    } finally {
      await stopProcess(proc);
    }
  });
});

describe('authentication and authorization', () => {
  const nodeCreds = () => {
    const pki = path.join(c().runDir, `agent-${c().nodes[0]!.name}`, 'pki');
    const read = (f: string) => readFileSync(path.join(pki, f));
    return credentials.createSsl(read('ca.crt'), read('node.key'), read('node.crt'));
  };

  it('a node certificate may not read pods or secrets through the cluster API, nor make admin calls', async () => {
    const client = clusterClient(nodeCreds());
    try {
      const list = await expectUnchanged(() => refused(listPods(client)));
      expect(list.code).toBe(GrpcStatus.PERMISSION_DENIED);
      expect(list.details).toBe(`node "${c().nodes[0]!.name}" may not call ClusterService/List: node certificates may only use their own node stream`);
      const secret = await refused(new Promise((resolve, reject) => client.get({ kind: 'secret', namespace: 'default', name: 'db' }, (e, r) => (e ? reject(e) : resolve(r)))));
      expect(secret.code).toBe(GrpcStatus.PERMISSION_DENIED);
      const apply = await expectUnchanged(() =>
        refused(new Promise((resolve, reject) => client.apply(ApplyRequest.fromPartial({ objects: parseManifests(POD('evil', 'pi2'), 'evil') }), (e, r) => (e ? reject(e) : resolve(r))))),
      );
      expect(apply.code).toBe(GrpcStatus.PERMISSION_DENIED);
      const token = await expectUnchanged(() => refused(new Promise((resolve, reject) => client.createToken({ ttlSeconds: 0, description: '', usage: 'node' }, (e, r) => (e ? reject(e) : resolve(r))))));
      expect(token.code).toBe(GrpcStatus.PERMISSION_DENIED);
      expect(token.details).toMatch(/may not call ClusterService\/CreateToken/);
    } finally {
      client.close();
    }
  });

  it('a node certificate may not act as another node on the node stream', async () => {
    const client = new NodeServiceClient(master(), nodeCreds());
    try {
      const err = await expectUnchanged(
        () =>
          new Promise<ServiceError>((resolve) => {
            const stream = client.connect();
            stream.on('data', (_m: MasterMessage) => undefined);
            stream.on('error', (e: ServiceError) => resolve(e));
            stream.write(AgentMessage.fromPartial({ message: { $case: 'hello', hello: { nodeName: 'pi2', status: { allocatable: { cpu: '4', memory: '4Gi', pods: '10' } } } } }));
          }),
      );
      expect(err.code).toBe(GrpcStatus.PERMISSION_DENIED);
      expect(err.details).toBe(`node "${c().nodes[0]!.name}" may not act as node "pi2"`);
    } finally {
      client.close();
    }
  });

  it('a client without a certificate, or with one from another CA, is UNAUTHENTICATED', async () => {
    const bare = clusterClient(credentials.createSsl(Buffer.from(caPem())));
    const other = await createCA('not-orchard');
    const forged = await issueClientCert(other, { role: 'admin', user: 'admin' });
    const foreign = clusterClient(credentials.createSsl(Buffer.from(caPem()), Buffer.from(forged.keyPem), Buffer.from(forged.certPem)));
    try {
      for (const client of [bare, foreign]) {
        const err = await expectUnchanged(() => refused(listPods(client)));
        expect(err.code).toBe(GrpcStatus.UNAUTHENTICATED);
        expect(err.details).toBe('no client certificate signed by the cluster CA was presented');
      }
    } finally {
      bare.close();
      foreign.close();
    }
  });

  it('a plaintext client gets no answer at all', async () => {
    const plain = clusterClient(credentials.createInsecure());
    try {
      const err = await expectUnchanged(() => refused(listPods(plain)));
      expect(err.code).toBe(GrpcStatus.UNAVAILABLE);
    } finally {
      plain.close();
    }
    await masterStillServes();
  });

  it('the CLI without credentials says where to get them', async () => {
    const r = await c().cli(['get', 'pods'], { env: { ORCHARD_CONFIG: '', HOME: c().runDir } });
    expect(r.code, describeResult(['get', 'pods'], r)).toBe(1);
    expect(r.stderr).toMatch(/^error: no client credentials: copy the admin credentials a master wrote/);
  });

  it('writes mutating calls to the audit log with who, what and the result', async () => {
    const log = readFileSync(path.join(c().runDir, 'master-m1', 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    const applied = log.find((e) => e.what === 'ClusterService/Apply' && e.objects.includes('pods/default/mtls'));
    expect(applied).toMatchObject({ who: 'admin', role: 'admin', result: 'OK' });
    const denied = log.find((e) => e.what === 'ClusterService/Apply' && e.role === 'node');
    expect(denied).toMatchObject({ result: 'PERMISSION_DENIED' });
    const badJoin = log.find((e) => e.what === 'BootstrapService/Join' && e.result === 'UNAUTHENTICATED');
    expect(badJoin?.objects[0]).toMatch(/^node join with token [a-z0-9]{6}$/);
    // The token secret is never written.
    expect(JSON.stringify(log)).not.toContain(printed.token);
  });
});

describe('Secrets at rest', () => {
  it('etcdctl get of a Secret shows ciphertext only; the API returns the data', async () => {
    const manifest = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-very-secret\n`;
    await orchardOk(c().cli, ['apply', '-f', c().manifestFile('secret.yaml', manifest)]);
    const raw = await c().etcdctl(['get', '/orchard/registry/secrets/default/db', '--print-value-only']);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toContain('orchard:enc:aesgcm:v1:derived1:');
    expect(raw.stdout).not.toContain('hunter2-very-secret');
    expect(raw.stdout).not.toContain(Buffer.from('hunter2-very-secret').toString('base64'));
    const got = itemsOf(await orchardOk(c().cli, ['get', 'secret', 'db', '-o', 'json']))[0]!;
    expect(Buffer.from(String(got.data?.password), 'base64').toString()).toBe('hunter2-very-secret');
  });
});

describe('hostile bytes and sizes', () => {
  const [host, port] = [() => master().slice(0, master().lastIndexOf(':')), () => Number(master().slice(master().lastIndexOf(':') + 1))];

  it('survives garbage on the raw TCP port', async () => {
    await new Promise<void>((resolve) => {
      const s = net.connect(port(), host(), () => {
        s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n\x00\x01\x02garbage'.repeat(100)));
        s.end();
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    await masterStillServes();
  });

  it('survives garbage inside a TLS connection', async () => {
    await new Promise<void>((resolve) => {
      const s = tls.connect({ host: host(), port: port(), rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
        s.write(Buffer.alloc(4096, 0xff));
        s.end();
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      // The server may keep the connection half-open; either way we are done sending.
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 3_000).unref();
    });
    await masterStillServes();
  });

  it('answers a truncated gRPC frame with an error and keeps serving', async () => {
    const cfg = readClientConfig(c().adminConfig);
    const session = http2.connect(`https://${master()}`, { ca: cfg.certificateAuthority, cert: cfg.clientCertificate, key: cfg.clientKey, rejectUnauthorized: true, checkServerIdentity: () => undefined });
    try {
      const status = await new Promise<string | undefined>((resolve, reject) => {
        session.on('error', reject);
        const req = session.request({ ':method': 'POST', ':path': '/orchard.v1.ClusterService/List', 'content-type': 'application/grpc', te: 'trailers' });
        let grpcStatus: string | undefined;
        req.on('response', (h) => (grpcStatus = (h['grpc-status'] as string | undefined) ?? grpcStatus));
        req.on('trailers', (t) => (grpcStatus = (t['grpc-status'] as string | undefined) ?? grpcStatus));
        req.on('close', () => resolve(grpcStatus));
        req.on('error', () => resolve(grpcStatus));
        // A server that waits for the rest of the frame is fine too: what matters is below.
        setTimeout(() => resolve(grpcStatus), 5_000).unref();
        req.resume();
        // A frame header that promises 1000 bytes, then 10 bytes and the end of the stream.
        const header = Buffer.from([0, 0, 0, 0x03, 0xe8]);
        req.end(Buffer.concat([header, Buffer.alloc(10, 0x0a)]));
      });
      // Never a success: the truncated request is not taken for a valid one.
      expect(status, 'grpc-status of the truncated call').not.toBe('0');
    } finally {
      session.close();
    }
    await masterStillServes();
  });

  it('refuses an oversized message (over 4 MiB) with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n  blob: ${big}\n`;
    const client = clusterClient(admin());
    try {
      const err = await expectUnchanged(() =>
        refused(new Promise((resolve, reject) => client.apply(ApplyRequest.fromPartial({ objects: parseManifests(manifest, 'huge') }), (e, r) => (e ? reject(e) : resolve(r))))),
      );
      expect(err.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      expect(err.details).toMatch(/Received message larger than max \(\d+ vs 4194304\)/);
    } finally {
      client.close();
    }
    await masterStillServes();
  });
});

describe('revocation and rate limiting', () => {
  it('a node deleted with orchard delete node can no longer connect', async () => {
    const pi1 = c().nodes[0]!;
    await orchardOk(c().cli, ['delete', 'pod', 'mtls', '--force', '--grace-period', '0']);
    await c().stopAgent(pi1);
    await orchardOk(c().cli, ['delete', 'node', pi1.name]);
    const pki = path.join(c().runDir, `agent-${pi1.name}`, 'pki');
    const read = (f: string) => readFileSync(path.join(pki, f));
    const client = new NodeServiceClient(master(), credentials.createSsl(read('ca.crt'), read('node.key'), read('node.crt')));
    try {
      const err = await expectUnchanged(
        () =>
          new Promise<ServiceError>((resolve) => {
            const stream = client.connect();
            stream.on('data', () => undefined);
            stream.on('error', (e: ServiceError) => resolve(e));
            stream.write(AgentMessage.fromPartial({ message: { $case: 'hello', hello: { nodeName: pi1.name } } }));
          }),
      );
      expect(err.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(err.details).toMatch(new RegExp(`^node "${pi1.name}" was deleted from the cluster; its certificate is no longer accepted`));
    } finally {
      client.close();
    }
    expect(itemsOf(await orchardOk(c().cli, ['get', 'nodes', '-o', 'json'])).map((n) => n.metadata?.name)).not.toContain(pi1.name);
  });

  it('rate-limits repeated wrong tokens with a clear message', async () => {
    // Last in the file: it blocks joins from this address for a minute.
    const good = await createJoinCommand(c().cli);
    const wrong = `${good.token.slice(0, 7)}${'z'.repeat(16)}`;
    let last: ServiceError | undefined;
    for (let i = 0; i < 8 && last?.code !== GrpcStatus.RESOURCE_EXHAUSTED; i++) last = await refused(join(wrong, 'guesser'));
    expect(last?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(last?.details).toMatch(/^too many failed join attempts from [0-9.]+; retry after \d+ s$/);
    // Even the right token is refused from this address now, and nothing is written.
    const blocked = await expectUnchanged(() => refused(join(good.token, 'guesser')));
    expect(blocked.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    await waitFor('the master to keep serving', async () => (await c().cli(['get', 'nodes'])).code === 0);
  });
});
