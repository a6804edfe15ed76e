import { UnavailableError, createLogger, type MasterMessage } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import { NodeNotConnectedError, SessionRelay, type SessionOutput } from './session-relay';

function setup() {
  let n = 0;
  const relay = new SessionRelay({ ids: { uuid: () => `s${++n}` }, log: createLogger('test', 'silent') });
  const sent: Record<string, MasterMessage[]> = { pi1: [], pi2: [] };
  const sendPi1 = (m: MasterMessage) => sent.pi1!.push(m);
  const sendPi2 = (m: MasterMessage) => sent.pi2!.push(m);
  relay.connected('pi1', sendPi1);
  relay.connected('pi2', sendPi2);
  const sink = () => {
    const out: SessionOutput[] = [];
    const errors: Error[] = [];
    return { out, errors, output: (o: SessionOutput) => out.push(o), fail: (e: Error) => errors.push(e) };
  };
  return { relay, sent, sendPi1, sendPi2, sink };
}

const logs = { $case: 'logs' as const, logs: { namespace: 'default', name: 'web', container: 'c', follow: true, timestamps: false, previous: false } };

describe('SessionRelay', () => {
  it('opens a session on the node stream with an id of its own', () => {
    const { relay, sent, sink } = setup();
    const s = relay.open('pi1', logs, sink());
    expect(s.id).toBe('s1');
    expect(sent.pi1).toEqual([{ message: { $case: 'streamOpen', streamOpen: { streamId: 's1', request: logs } } }]);
    expect(sent.pi2).toEqual([]);
  });

  it('refuses a node that is not connected here', () => {
    const { relay, sink } = setup();
    expect(() => relay.open('pi9', logs, sink())).toThrow(NodeNotConnectedError);
    expect(() => relay.open('pi9', logs, sink())).toThrow('node pi9 is not connected to this master');
  });

  it('routes output by session id and only from the session’s node', () => {
    const { relay, sink } = setup();
    const a = sink();
    const b = sink();
    relay.open('pi1', logs, a);
    relay.open('pi1', logs, b);
    relay.output('pi1', { streamId: 's2', output: { $case: 'stdout', stdout: Buffer.from('to b') } });
    relay.output('pi2', { streamId: 's1', output: { $case: 'stdout', stdout: Buffer.from('forged') } });
    relay.output('pi1', { streamId: 's1', output: { $case: 'stderr', stderr: Buffer.from('to a') } });
    expect(a.out).toEqual([{ $case: 'stderr', stderr: Buffer.from('to a') }]);
    expect(b.out).toEqual([{ $case: 'stdout', stdout: Buffer.from('to b') }]);
  });

  it('relays input, and close tells the agent once', () => {
    const { relay, sent, sink } = setup();
    const s = relay.open('pi1', logs, sink());
    s.input({ $case: 'resize', resize: { width: 80, height: 24 } });
    s.close();
    s.close();
    s.input({ $case: 'stdin', stdin: Buffer.from('late') });
    expect(sent.pi1!.map((m) => m.message?.$case)).toEqual(['streamOpen', 'streamInput', 'streamClose']);
    expect(relay.openSessions).toBe(0);
  });

  it('ends the session on exit; later output is dropped', () => {
    const { relay, sink } = setup();
    const a = sink();
    relay.open('pi1', logs, a);
    relay.output('pi1', { streamId: 's1', output: { $case: 'exit', exit: { exitCode: 3, error: '' } } });
    relay.output('pi1', { streamId: 's1', output: { $case: 'stdout', stdout: Buffer.from('after') } });
    expect(a.out).toEqual([{ $case: 'exit', exit: { exitCode: 3, error: '' } }]);
    expect(relay.openSessions).toBe(0);
  });

  it('fails the sessions of a node whose stream ended, not those of a newer stream', () => {
    const { relay, sendPi1, sink } = setup();
    const old = sink();
    relay.open('pi1', logs, old);
    const newer = (_m: MasterMessage) => undefined;
    relay.connected('pi1', newer);
    const fresh = sink();
    relay.open('pi1', logs, fresh);
    relay.disconnected('pi1', sendPi1);
    expect(old.errors).toHaveLength(1);
    expect(old.errors[0]).toBeInstanceOf(UnavailableError);
    expect(old.errors[0]!.message).toContain('node pi1');
    expect(fresh.errors).toEqual([]);
    expect(relay.isConnected('pi1')).toBe(true);
    relay.disconnected('pi1', newer);
    expect(fresh.errors).toHaveLength(1);
    expect(relay.isConnected('pi1')).toBe(false);
  });
});
