import { createLogger, type StreamOutput } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import type { ContainerDetails, ContainerRuntime } from '../runtime/container-runtime';
import type { OutputChunk } from './docker-frames';
import { StreamSessions } from './stream-sessions';
import type { ExecOptions, ExecProcess, LogOptions, OutputStream, StreamRuntime } from './stream-runtime';

/** A container of pod default/web, container app, as the agent labels it. */
function instance(id: string, createdAt: string, state: ContainerDetails['state'], uid = 'u1'): ContainerDetails {
  return {
    id,
    name: id,
    image: 'busybox',
    state,
    labels: {
      'io.orchard.node': 'pi1',
      'io.orchard.pod.namespace': 'default',
      'io.orchard.pod.name': 'web',
      'io.orchard.container.name': 'app',
      'io.orchard.pod.uid': uid,
    },
    imageId: 'sha256:x',
    createdAt,
    startedAt: createdAt,
    finishedAt: '',
    exitCode: 0,
    oomKilled: false,
    error: '',
    ipAddress: '',
  };
}

/** Only the two reads a session makes of the engine. */
function engine(containers: ContainerDetails[]): ContainerRuntime {
  return {
    listContainers: async (labels: Record<string, string>) => containers.filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v)),
    inspectContainer: async (id: string) => containers.find((c) => c.id === id)!,
  } as unknown as ContainerRuntime;
}

class FakeOutput implements OutputStream {
  data: Array<(c: OutputChunk) => void> = [];
  ends: Array<(err?: Error) => void> = [];
  paused = false;
  closed = false;
  onData(fn: (c: OutputChunk) => void) {
    this.data.push(fn);
  }
  onEnd(fn: (err?: Error) => void) {
    this.ends.push(fn);
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  close() {
    this.closed = true;
  }
  emit(stream: 'stdout' | 'stderr', text: string) {
    for (const fn of this.data) fn({ stream, data: Buffer.from(text) });
  }
  end(err?: Error) {
    for (const fn of this.ends) fn(err);
  }
}

class FakeExec extends FakeOutput implements ExecProcess {
  input: string[] = [];
  sizes: string[] = [];
  code = 0;
  write(d: Buffer) {
    this.input.push(d.toString());
  }
  endInput() {
    this.input.push('<EOF>');
  }
  async resize(w: number, h: number) {
    this.sizes.push(`${w}x${h}`);
  }
  async exitCode() {
    return this.code;
  }
}

function setup(containers: ContainerDetails[]) {
  const sent: StreamOutput[] = [];
  let accept = true;
  const logCalls: Array<{ id: string; opts: LogOptions }> = [];
  const execCalls: Array<{ id: string; opts: ExecOptions }> = [];
  const outputs: FakeOutput[] = [];
  const execs: FakeExec[] = [];
  const streams: StreamRuntime = {
    containerLogs: async (id, opts) => {
      logCalls.push({ id, opts });
      const o = new FakeOutput();
      outputs.push(o);
      return o;
    },
    exec: async (id, opts) => {
      execCalls.push({ id, opts });
      const e = new FakeExec();
      execs.push(e);
      return e;
    },
  };
  const sessions = new StreamSessions({
    runtime: engine(containers),
    streams,
    nodeName: 'pi1',
    send: (o) => {
      sent.push(o);
      return accept;
    },
    logger: createLogger('test', 'silent'),
  });
  return { sessions, sent, logCalls, execCalls, outputs, execs, setAccept: (v: boolean) => (accept = v) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const logsReq = (extra: object = {}) => ({ namespace: 'default', name: 'web', container: 'app', follow: false, timestamps: false, previous: false, ...extra });
const exitOf = (o: StreamOutput) => (o.output?.$case === 'exit' ? o.output.exit : undefined);

describe('StreamSessions', () => {
  const two = [instance('old', '2026-01-01T00:00:01Z', 'exited'), instance('new', '2026-01-01T00:00:02Z', 'running')];

  it('streams the current instance’s logs, then exit 0', async () => {
    const t = setup(two);
    t.sessions.openLogs('s1', logsReq({ follow: true, tailLines: 2, timestamps: true }));
    await tick();
    expect(t.logCalls).toEqual([{ id: 'new', opts: { follow: true, tailLines: 2, timestamps: true, sinceSeconds: undefined } }]);
    t.outputs[0]!.emit('stdout', 'line\n');
    t.outputs[0]!.emit('stderr', 'oops\n');
    t.outputs[0]!.end();
    await tick();
    expect(t.sent.map((o) => o.output?.$case)).toEqual(['stdout', 'stderr', 'exit']);
    expect(exitOf(t.sent[2]!)).toEqual({ exitCode: 0, error: '' });
    expect(t.sessions.open).toBe(0);
  });

  it('reads the previous instance with --previous, never following it', async () => {
    const t = setup(two);
    t.sessions.openLogs('s1', logsReq({ previous: true, follow: true }));
    await tick();
    expect(t.logCalls.map((c) => [c.id, c.opts.follow])).toEqual([['old', false]]);
  });

  it('ignores the containers of an older pod of the same name', async () => {
    const t = setup([instance('gone', '2026-01-01T00:00:01Z', 'exited', 'u0'), instance('new', '2026-01-01T00:00:02Z', 'running')]);
    t.sessions.openLogs('s1', logsReq({ previous: true }));
    await tick();
    expect(t.logCalls).toEqual([]);
    expect(exitOf(t.sent[0]!)?.error).toBe('previous terminated container "app" in pod "web" not found');
  });

  it('answers an error exit for a container that has not started', async () => {
    const t = setup([]);
    t.sessions.openExec('s1', { namespace: 'default', name: 'web', container: 'app', command: ['sh'], tty: false, stdin: false });
    await tick();
    expect(exitOf(t.sent[0]!)).toEqual({ exitCode: -1, error: 'container "app" in pod "web" is waiting to start: ContainerCreating' });
  });

  it('runs exec with input, resize and the exit code, keeping input sent before the start', async () => {
    const t = setup(two);
    t.sessions.openExec('s1', { namespace: 'default', name: 'web', container: 'app', command: ['sh'], tty: true, stdin: true, size: { width: 80, height: 24 } });
    t.sessions.input('s1', { $case: 'stdin', stdin: Buffer.from('early') });
    await tick();
    expect(t.execCalls).toEqual([{ id: 'new', opts: { cmd: ['sh'], tty: true, stdin: true, size: { width: 80, height: 24 } } }]);
    const e = t.execs[0]!;
    t.sessions.input('s1', { $case: 'resize', resize: { width: 100, height: 40 } });
    t.sessions.input('s1', { $case: 'stdin', stdin: Buffer.from('exit 3\n') });
    t.sessions.input('s1', { $case: 'stdinClose', stdinClose: true });
    expect(e.input).toEqual(['early', 'exit 3\n', '<EOF>']);
    expect(e.sizes).toEqual(['100x40']);
    e.code = 3;
    e.end();
    await tick();
    expect(exitOf(t.sent.at(-1)!)).toEqual({ exitCode: 3, error: '' });
  });

  it('close stops the session without an exit message', async () => {
    const t = setup(two);
    t.sessions.openLogs('s1', logsReq({ follow: true }));
    await tick();
    t.sessions.close('s1');
    t.outputs[0]!.emit('stdout', 'late');
    t.outputs[0]!.end();
    await tick();
    expect(t.outputs[0]!.closed).toBe(true);
    expect(t.sent).toEqual([]);
  });

  it('pauses every session while the node stream is full, resumes on drain', async () => {
    const t = setup(two);
    t.sessions.openLogs('s1', logsReq({ follow: true }));
    t.sessions.openLogs('s2', logsReq({ follow: true }));
    await tick();
    t.setAccept(false);
    t.outputs[0]!.emit('stdout', 'a lot');
    expect(t.outputs.map((o) => o.paused)).toEqual([true, true]);
    t.setAccept(true);
    t.sessions.drained();
    expect(t.outputs.map((o) => o.paused)).toEqual([false, false]);
  });

  it('closeAll ends every session (the node stream broke)', async () => {
    const t = setup(two);
    t.sessions.openLogs('s1', logsReq({ follow: true }));
    t.sessions.openExec('s2', { namespace: 'default', name: 'web', container: 'app', command: ['sh'], tty: false, stdin: false });
    await tick();
    t.sessions.closeAll();
    expect(t.outputs[0]!.closed && t.execs[0]!.closed).toBe(true);
    expect(t.sessions.open).toBe(0);
  });
});
