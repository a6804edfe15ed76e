import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ClusterServiceService, NodeServiceService, UnauthenticatedError, createLogger, systemClock, type ClusterServiceServer, type NodeServiceServer } from '@orchard/api';
import { MemoryAuditSink } from '../audit/audit-log';
import type { Identity } from '../pki';
import { guardHandlers, type GuardDeps } from './guard';

const log = createLogger('guard-test', 'silent');
const clock = { ...systemClock, now: () => Date.parse('2026-11-25T12:00:00Z') };

function deps(who: Identity | Error, audit = new MemoryAuditSink()): GuardDeps & { audit: MemoryAuditSink } {
  return { authenticate: async () => (who instanceof Error ? Promise.reject(who) : who), audit, clock, log };
}

/** A unary call as grpc-js hands it to a handler. */
function unaryCall(request: unknown) {
  return { request, getAuthContext: () => null, getPeer: () => 'ipv4:10.0.0.9:5000', emit: () => true, on: () => undefined };
}

function callUnary(handlers: ClusterServiceServer, method: 'apply' | 'list', request: unknown): Promise<{ err: any; res: any }> {
  return new Promise((resolve) => (handlers[method] as any)(unaryCall(request), (err: unknown, res: unknown) => resolve({ err, res })));
}

const admin: Identity = { role: 'admin', commonName: 'admin' };
const pi1: Identity = { role: 'node', commonName: 'system:node:pi1', nodeName: 'pi1' };

const inner = {
  apply: (_call: unknown, cb: (e: unknown, r: unknown) => void) => cb(null, { results: [] }),
  list: (_call: unknown, cb: (e: unknown, r: unknown) => void) => cb(null, { items: [] }),
} as unknown as ClusterServiceServer;
const audited = { Apply: (req: { objects: string[] }) => req.objects };

describe('guardHandlers', () => {
  const cases: Array<{ name: string; who: Identity | Error; method: 'apply' | 'list'; code?: number; audit?: object }> = [
    { name: 'an admin applies; the write is audited', who: admin, method: 'apply', audit: { who: 'admin', role: 'admin', what: 'ClusterService/Apply', objects: ['pods/default/web'], result: 'OK', time: '2026-11-25T12:00:00Z' } },
    { name: 'a node may not apply; the refusal is audited', who: pi1, method: 'apply', code: 7, audit: { who: 'system:node:pi1', result: 'PERMISSION_DENIED' } },
    { name: 'no certificate: UNAUTHENTICATED, audited without a name', who: new UnauthenticatedError('no client certificate signed by the cluster CA was presented'), method: 'apply', code: 16, audit: { who: '(no certificate) ipv4:10.0.0.9:5000', role: 'none', result: 'UNAUTHENTICATED' } },
    { name: 'reads are not audited', who: admin, method: 'list' },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const d = deps(tc.who);
      const guarded = guardHandlers(ClusterServiceService, inner, d, { audited });
      const { err } = await callUnary(guarded, tc.method, { objects: ['pods/default/web'], kind: 'pods' });
      if (tc.code === undefined) expect(err).toBeNull();
      else expect(err.code).toBe(tc.code);
      if (tc.audit) expect(d.audit.entries).toEqual([expect.objectContaining(tc.audit)]);
      else expect(d.audit.entries).toEqual([]);
    });
  }

  it('audits the status a handler answered with', async () => {
    const d = deps(admin);
    const refusing = { apply: (_c: unknown, cb: (e: unknown, r: unknown) => void) => cb({ code: 16, details: 'token abcdef is unknown' }, null) } as unknown as ClusterServiceServer;
    const { err } = await callUnary(guardHandlers(ClusterServiceService, refusing, d, { audited }), 'apply', { objects: [] });
    expect(err.code).toBe(16);
    expect(d.audit.entries[0]).toMatchObject({ result: 'UNAUTHENTICATED', message: 'token abcdef is unknown' });
  });

  it('holds a node stream to the node its certificate names', () => {
    const seen: unknown[] = [];
    const nodes = { connect: (call: EventEmitter) => call.on('data', (m: unknown) => seen.push(m)) } as unknown as NodeServiceServer;
    const guarded = guardHandlers(NodeServiceService, nodes, deps(pi1));
    const call = Object.assign(new EventEmitter(), { getAuthContext: () => null, getPeer: () => 'p' });
    const errors: Array<{ code: number; details: string }> = [];
    call.on('error', (e: { code: number; details: string }) => errors.push(e));
    (guarded.connect as any)(call);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        call.emit('data', { message: { $case: 'hello', hello: { nodeName: 'pi2' } } });
        expect(seen).toEqual([]);
        expect(errors.map((e) => [e.code, e.details])).toEqual([[7, 'node "pi1" may not act as node "pi2"']]);
        call.emit('data', { message: { $case: 'hello', hello: { nodeName: 'pi1' } } });
        expect(seen).toHaveLength(1);
        resolve();
      }),
    );
  });
});
