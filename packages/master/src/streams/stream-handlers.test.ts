import { EventEmitter } from 'node:events';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { createLogger, wrapPod, type ApiObject, type LogChunk, type LogsRequest, type MasterMessage } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../store/object-store';
import { SessionRelay } from './session-relay';
import { streamHandlers } from './stream-handlers';

/** A server-streaming call as grpc-js hands it to a handler: writes recorded, errors as status. */
class FakeLogsCall extends EventEmitter {
  written: LogChunk[] = [];
  ended = false;
  cancelled = false;
  destroyed = false;
  status: { code?: number; details?: string } | undefined;
  constructor(readonly request: LogsRequest) {
    super();
    this.on('error', (e: { code?: number; details?: string }) => (this.status = { code: e.code, details: e.details }));
  }
  write(c: LogChunk): boolean {
    this.written.push(c);
    return true;
  }
  end(): void {
    this.ended = true;
  }
}

function pod(nodeName: string): ApiObject {
  return wrapPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { nodeName, containers: [{ name: 'app', image: 'busybox' }] } } as never);
}

function setup(obj: ApiObject | undefined) {
  const relay = new SessionRelay({ ids: { uuid: () => 's1' }, log: createLogger('test', 'silent') });
  const toAgent: MasterMessage[] = [];
  const store = { tryGet: async () => obj } as unknown as ObjectStore;
  const handlers = streamHandlers({
    store,
    relay,
    masterName: 'm1',
    log: createLogger('test', 'silent'),
    listMasters: async () => [
      { name: 'm1', address: '10.0.0.1:7443', version: '', leader: true, startedAt: '' },
      { name: 'm2', address: '10.0.0.2:7443', version: '', leader: false, startedAt: '' },
    ],
  });
  return { relay, toAgent, handlers, connect: () => relay.connected('pi1', (m) => toAgent.push(m)) };
}

const req: LogsRequest = { namespace: '', name: 'web', container: '', follow: true, timestamps: false, previous: false };
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('Logs handler', () => {
  it('opens a session on the node with the defaulted container and relays output until exit', async () => {
    const t = setup(pod('pi1'));
    t.connect();
    const call = new FakeLogsCall(req);
    t.handlers.logs(call as never);
    await tick();
    const open = t.toAgent[0]?.message;
    expect(open?.$case === 'streamOpen' && open.streamOpen.request).toEqual({ $case: 'logs', logs: { ...req, namespace: 'default', container: 'app' } });
    t.relay.output('pi1', { streamId: 's1', output: { $case: 'stdout', stdout: Buffer.from('a\n') } });
    t.relay.output('pi1', { streamId: 's1', output: { $case: 'stderr', stderr: Buffer.from('b\n') } });
    t.relay.output('pi1', { streamId: 's1', output: { $case: 'exit', exit: { exitCode: 0, error: '' } } });
    expect(call.written.map((c) => [c.stream, c.data.toString()])).toEqual([['stdout', 'a\n'], ['stderr', 'b\n']]);
    expect(call.ended).toBe(true);
    expect(call.status).toBeUndefined();
  });

  it('tells the agent when the client goes away', async () => {
    const t = setup(pod('pi1'));
    t.connect();
    const call = new FakeLogsCall(req);
    t.handlers.logs(call as never);
    await tick();
    call.cancelled = true;
    call.emit('cancelled');
    expect(t.toAgent.map((m) => m.message?.$case)).toEqual(['streamOpen', 'streamClose']);
    expect(t.relay.openSessions).toBe(0);
  });

  it('answers UNAVAILABLE naming the other masters when the node is connected elsewhere', async () => {
    const t = setup(pod('pi1'));
    const call = new FakeLogsCall(req);
    t.handlers.logs(call as never);
    await tick();
    expect(call.status?.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(call.status?.details).toBe('node pi1 is not connected to master m1; it may be connected to master m2 (10.0.0.2:7443): retry against it');
  });

  it("turns the agent's refusal into a bad request", async () => {
    const t = setup(pod('pi1'));
    t.connect();
    const call = new FakeLogsCall({ ...req, previous: true });
    t.handlers.logs(call as never);
    await tick();
    t.relay.output('pi1', { streamId: 's1', output: { $case: 'exit', exit: { exitCode: -1, error: 'previous terminated container "app" in pod "web" not found' } } });
    expect(call.status).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, details: 'previous terminated container "app" in pod "web" not found' });
  });

  it('ends the call with an error when the node stream goes', async () => {
    const t = setup(pod('pi1'));
    const send = (m: MasterMessage) => t.toAgent.push(m);
    t.relay.connected('pi1', send);
    const call = new FakeLogsCall(req);
    t.handlers.logs(call as never);
    await tick();
    t.relay.disconnected('pi1', send);
    expect(call.status?.code).toBe(GrpcStatus.UNAVAILABLE);
  });

  it('refuses a pod without a node', async () => {
    const t = setup(pod(''));
    const call = new FakeLogsCall(req);
    t.handlers.logs(call as never);
    await tick();
    expect(call.status).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, details: 'pod web has no node yet: it is waiting to be scheduled' });
  });
});
