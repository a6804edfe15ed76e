import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { Server, ServerCredentials, status as GrpcStatus, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import {
  ApplyResponse,
  ClusterServiceService,
  CreateCredentialsResponse,
  DeleteResponse,
  ListMastersResponse,
  ListResponse,
  NotFoundError,
  Pod,
  ReencryptSecretsResponse,
  UnavailableError,
  WatchEvent,
  toServiceError,
  wrapPod,
  type ApiObject,
  type ClusterServiceServer,
  type GetRequest,
  type WatchRequest,
} from '@orchard/api';
import { GrpcClusterClient, connectionProblem, parseServers } from './client';
import { connectTimeoutOf, grpcContext } from './context';
import { run } from './program';
import { FakeIo } from './testing/fake-cluster';

const web = wrapPod(Pod.fromPartial({ metadata: { name: 'web', namespace: 'default' } }));

/** A master with canned answers: `web` exists, `slow` never answers in time. */
function cannedService(name: string, calls: string[]): Partial<ClusterServiceServer> {
  return {
    apply: (call, cb) => {
      calls.push(`${name}:apply`);
      // A master that received the write and froze before answering.
      if (name === 'hangs') return;
      cb(null, ApplyResponse.fromPartial({ results: [{ object: web, action: 'created' }] }));
    },
    get: (call: { request: GetRequest }, cb: sendUnaryData<ApiObject>) => {
      calls.push(`${name}:get:${call.request.name}`);
      if (call.request.name === 'web') return cb(null, web);
      if (call.request.name === 'slow') return void setTimeout(() => cb(null, web), 2000);
      if (call.request.name === 'no-etcd') return cb(toServiceError(new UnavailableError('etcd is unavailable (get pods/default/no-etcd): no etcd member reachable: connect ECONNREFUSED 127.0.0.1:2379')));
      cb(toServiceError(new NotFoundError('pods', call.request.name)));
    },
    list: (_call, cb) => {
      calls.push(`${name}:list`);
      if (name === 'hangs') return;
      cb(null, ListResponse.fromPartial({ items: [web], resourceVersion: '5' }));
    },
    delete: (_call, cb) => cb(null, DeleteResponse.fromPartial({ object: web })),
    watch: (call: ServerWritableStream<WatchRequest, WatchEvent>) => {
      calls.push(`${name}:watch`);
      call.write(WatchEvent.fromPartial({ type: 'ADDED', object: web }));
      call.write(WatchEvent.fromPartial({ type: 'DELETED', object: web }));
      call.end();
    },
    listMasters: (_call, cb) => cb(null, ListMastersResponse.fromPartial({ masters: [{ name, address: '', version: '0.1.0', leader: true }] })),
    createCredentials: (_call, cb) => {
      calls.push(`${name}:createCredentials`);
      if (name === 'hangs') return;
      cb(null, CreateCredentialsResponse.fromPartial({ certificatePem: 'cert', expires: '2027-11-25T12:00:00Z' }));
    },
    reencryptSecrets: (_call, cb) => {
      calls.push(`${name}:reencryptSecrets`);
      if (name === 'hangs') return;
      cb(null, ReencryptSecretsResponse.fromPartial({ total: 3, rewritten: 1, keyId: 'k2' }));
    },
  };
}

async function startServer(name: string, calls: string[]): Promise<{ server: Server; addr: string }> {
  const server = new Server();
  // Methods the canned master lacks answer UNIMPLEMENTED, as a real older master would.
  server.addService(ClusterServiceService, cannedService(name, calls) as ClusterServiceServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, addr: `127.0.0.1:${port}` };
}

/**
 * A frozen master: the kernel accepts TCP connections (the listen backlog), but nothing
 * ever answers, not even the handshake. Returns its address and a way to close it.
 */
async function frozenAddress(): Promise<{ addr: string; close(): void }> {
  const sockets: net.Socket[] = [];
  const s = net.createServer((c) => sockets.push(c));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    addr: `127.0.0.1:${(s.address() as net.AddressInfo).port}`,
    close: () => {
      for (const c of sockets) c.destroy();
      s.close();
    },
  };
}

/** An address nothing listens on: bound, then closed. */
async function deadAddress(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `127.0.0.1:${port}`;
}

describe('GrpcClusterClient against in-process masters', () => {
  const calls: string[] = [];
  let a: { server: Server; addr: string };
  let b: { server: Server; addr: string };
  let dead: string;
  beforeAll(async () => {
    a = await startServer('a', calls);
    b = await startServer('b', calls);
    dead = await deadAddress();
  });
  afterAll(() => {
    a.server.forceShutdown();
    b.server.forceShutdown();
  });

  it('answers from the first master', async () => {
    const c = new GrpcClusterClient({ servers: [a.addr, b.addr], timeoutMs: 1000 });
    try {
      calls.length = 0;
      expect((await c.list({ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '', fieldSelector: '' })).items).toEqual([web]);
      expect(calls).toEqual(['a:list']);
    } finally {
      c.close();
    }
  });

  it('fails over to the next master when one is unavailable, and stays there', async () => {
    const c = new GrpcClusterClient({ servers: [dead, b.addr], timeoutMs: 1000 });
    try {
      calls.length = 0;
      expect(await c.get({ kind: 'pods', namespace: 'default', name: 'web' })).toEqual(web);
      expect(await c.get({ kind: 'pods', namespace: 'default', name: 'web' })).toEqual(web);
      expect(calls).toEqual(['b:get:web', 'b:get:web']);
    } finally {
      c.close();
    }
  });

  it('returns the answer of a master instead of failing over on other errors', async () => {
    const c = new GrpcClusterClient({ servers: [a.addr, b.addr], timeoutMs: 1000 });
    try {
      calls.length = 0;
      const err = await c.get({ kind: 'pods', namespace: 'default', name: 'nope' }).catch((e: unknown) => e);
      expect((err as Error).message).toBe('pods "nope" not found');
      expect((err as { code: number }).code).toBe(GrpcStatus.NOT_FOUND);
      expect(calls).toEqual(['a:get:nope']);
    } finally {
      c.close();
    }
  });

  it('names every address when no master can be reached', async () => {
    const c = new GrpcClusterClient({ servers: [dead], timeoutMs: 1000 });
    try {
      const err = await c.listMasters().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toMatch(new RegExp(`^cannot reach any master \\(${dead}: .*ECONNREFUSED`));
    } finally {
      c.close();
    }
  });

  it('says etcd is unavailable when the masters answer so, after asking each', async () => {
    const c = new GrpcClusterClient({ servers: [dead, a.addr, b.addr], timeoutMs: 1000 });
    try {
      calls.length = 0;
      const err = await c.get({ kind: 'pods', namespace: 'default', name: 'no-etcd' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/^etcd is unavailable: no master can reach a quorum of etcd members; retry when etcd is back \(/);
      expect(msg).toContain(`${dead}: connect ECONNREFUSED`);
      expect(msg).toContain(`${a.addr}: etcd is unavailable (get pods/default/no-etcd): no etcd member reachable`);
      expect(calls).toEqual(['a:get:no-etcd', 'b:get:no-etcd']);
    } finally {
      c.close();
    }
  });

  it('gives up on a call after its deadline', async () => {
    const c = new GrpcClusterClient({ servers: [a.addr], timeoutMs: 200 });
    try {
      const err = await c.get({ kind: 'pods', namespace: 'default', name: 'slow' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toBe(`the server ${a.addr} did not answer within 0.2s`);
    } finally {
      c.close();
    }
  });

  it('refuses to call a master without client credentials, and says where they come from', async () => {
    const io = new FakeIo();
    io.envVars.ORCHARD_SERVER = a.addr;
    io.envVars.ORCHARD_CONFIG = '/nonexistent/orchard-config';
    expect(await run(['get', 'pods', '-o', 'name'], grpcContext(io))).toBe(1);
    expect(io.err).toMatch(/^error: cannot read the client configuration \/nonexistent\/orchard-config: /);
  });

  it('streams watch events, failing over from an unavailable master', async () => {
    const c = new GrpcClusterClient({ servers: [dead, a.addr], timeoutMs: 1000 });
    try {
      const types: string[] = [];
      await c.watch({ kind: 'pods', namespace: 'default', allNamespaces: false, resourceVersion: '', labelSelector: '' }, (ev) => types.push(ev.type));
      expect(types).toEqual(['ADDED', 'DELETED']);
    } finally {
      c.close();
    }
  });
});

describe('GrpcClusterClient with a frozen master first in the list', () => {
  const calls: string[] = [];
  let a: { server: Server; addr: string };
  let hangs: { server: Server; addr: string };
  let frozen: { addr: string; close(): void };
  beforeAll(async () => {
    a = await startServer('a', calls);
    hangs = await startServer('hangs', calls);
    frozen = await frozenAddress();
  });
  afterAll(() => {
    a.server.forceShutdown();
    hangs.server.forceShutdown();
    frozen.close();
  });

  const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T | Error; ms: number }> => {
    const t = Date.now();
    const value = await fn().catch((e: Error) => e);
    return { value, ms: Date.now() - t };
  };

  it('reads through the next master once the connect timeout passes, long before the request timeout', async () => {
    const c = new GrpcClusterClient({ servers: [frozen.addr, a.addr], timeoutMs: 10_000, connectTimeoutMs: 300 });
    try {
      calls.length = 0;
      const { value, ms } = await timed(() => c.get({ kind: 'pods', namespace: 'default', name: 'web' }));
      expect(value).toEqual(web);
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(3000);
      expect(calls).toEqual(['a:get:web']);
    } finally {
      c.close();
    }
  });

  it('sends a write to the next master when the first never completed the connection (nothing was sent)', async () => {
    const c = new GrpcClusterClient({ servers: [frozen.addr, a.addr], timeoutMs: 10_000, connectTimeoutMs: 300 });
    try {
      calls.length = 0;
      const { value, ms } = await timed(() => c.apply({ objects: [], dryRun: false }));
      expect((value as { results: unknown[] }).results).toHaveLength(1);
      expect(ms).toBeLessThan(3000);
      expect(calls).toEqual(['a:apply']);
    } finally {
      c.close();
    }
  });

  it('asks the next master as well when a connected one has not answered a read within the connect timeout', async () => {
    const c = new GrpcClusterClient({ servers: [hangs.addr, a.addr], timeoutMs: 10_000, connectTimeoutMs: 300 });
    try {
      calls.length = 0;
      const { value, ms } = await timed(() => c.list({ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '', fieldSelector: '' }));
      expect((value as { items: unknown[] }).items).toEqual([web]);
      expect(ms).toBeLessThan(3000);
      expect(calls).toEqual(['hangs:list', 'a:list']);
    } finally {
      c.close();
    }
  });

  it('never resends a write a master received and did not answer: it says the write may have been applied', async () => {
    const c = new GrpcClusterClient({ servers: [hangs.addr, a.addr], timeoutMs: 800, connectTimeoutMs: 300 });
    try {
      calls.length = 0;
      const { value } = await timed(() => c.apply({ objects: [], dryRun: false }));
      expect(value).toBeInstanceOf(UnavailableError);
      expect((value as Error).message).toBe(
        `the request was sent to ${hangs.addr} but no answer within 0.8s; it may or may not have been applied, so it was not sent to another master: check with \`orchard get\` and retry if needed`,
      );
      expect(calls).toEqual(['hangs:apply']);
    } finally {
      c.close();
    }
  });

  // Both admin calls go as writes (see GrpcClusterClient.reencryptSecrets for why re-encryption does too).
  const adminCalls: Array<{ name: string; call: (c: GrpcClusterClient) => Promise<unknown>; answer: unknown }> = [
    { name: 'createCredentials', call: (c) => c.createCredentials({ name: 'grafana', role: 'viewer', csrPem: 'csr', ttlSeconds: 3600 }), answer: expect.objectContaining({ certificatePem: 'cert' }) },
    { name: 'reencryptSecrets', call: (c) => c.reencryptSecrets(), answer: expect.objectContaining({ total: 3, rewritten: 1, keyId: 'k2' }) },
  ];
  for (const tc of adminCalls) {
    it(`${tc.name}: goes to the next master when the first never connected, and is never resent once received`, async () => {
      const past = new GrpcClusterClient({ servers: [frozen.addr, a.addr], timeoutMs: 10_000, connectTimeoutMs: 300 });
      const stuck = new GrpcClusterClient({ servers: [hangs.addr, a.addr], timeoutMs: 800, connectTimeoutMs: 300 });
      try {
        calls.length = 0;
        expect(await tc.call(past)).toEqual(tc.answer);
        expect(calls).toEqual([`a:${tc.name}`]);
        calls.length = 0;
        const { value } = await timed(() => tc.call(stuck));
        expect(value).toBeInstanceOf(UnavailableError);
        expect((value as Error).message).toMatch(/^the request was sent to .* but no answer within 0\.8s; it may or may not have been applied/);
        expect(calls).toEqual([`hangs:${tc.name}`]);
      } finally {
        past.close();
        stuck.close();
      }
    });
  }

  it('names the connect timeout when no master completes the connection', async () => {
    const c = new GrpcClusterClient({ servers: [frozen.addr], timeoutMs: 10_000, connectTimeoutMs: 200 });
    try {
      const { value, ms } = await timed(() => c.listMasters());
      expect(value).toBeInstanceOf(UnavailableError);
      expect((value as Error).message).toBe(`cannot reach any master (${frozen.addr}: no connection within 0.2s (connect timeout; the master may be frozen or cut off))`);
      expect(ms).toBeLessThan(2000);
    } finally {
      c.close();
    }
  });
});

describe('connectTimeoutOf', () => {
  const cases: Array<[string, string | undefined, string | undefined, number | RegExp]> = [
    ['default', undefined, undefined, 3000],
    ['from the configuration', undefined, '1500ms', 1500],
    ['the flag wins', '1s', '5s', 1000],
    ['zero refused', '0', undefined, /^invalid --connect-timeout "0": it must be more than 0$/],
    ['garbage refused', 'soon', undefined, /^invalid duration "soon"/],
  ];
  for (const [name, flag, configured, want] of cases) {
    it(name, () => {
      if (typeof want === 'number') expect(connectTimeoutOf(flag, configured)).toBe(want);
      else expect(() => connectTimeoutOf(flag, configured)).toThrow(want);
    });
  }
});

describe('parseServers', () => {
  const cases: Array<[string, string | undefined, string[]]> = [
    ['default when unset', undefined, ['127.0.0.1:7443']],
    ['default when blank', ' ', ['127.0.0.1:7443']],
    ['one address', 'pi1:7443', ['pi1:7443']],
    ['a list with spaces and blanks', 'a:1, b:2,,c:3 ', ['a:1', 'b:2', 'c:3']],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(parseServers(input)).toEqual(want));
});

describe('connectionProblem', () => {
  const cases: Array<[string, string, string]> = [
    [
      'grpc-js connection text',
      'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7443. Resolution note: ',
      'connect ECONNREFUSED 127.0.0.1:7443',
    ],
    ['anything else as is', 'Connection dropped', 'Connection dropped'],
  ];
  for (const [name, details, want] of cases) it(name, () => expect(connectionProblem({ details })).toBe(want));
});
