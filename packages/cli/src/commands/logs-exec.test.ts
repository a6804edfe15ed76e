import { BadRequestError, type ExecStart, type LogChunk, type LogsRequest } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import { run } from '../program';
import type { ExecCall, ExecOutput, StreamApi } from '../streams/stream-client';
import type { StreamsContext } from '../streams/streams-context';
import type { ExecTerminal } from '../streams/terminal';
import { FakeCluster, FakeIo, fakeContext } from '../testing/fake-cluster';
import { NO_TTY_WARNING } from './exec';

/** Streaming calls that record requests and answer with scripted output. */
class FakeStreams implements StreamApi {
  logsRequests: LogsRequest[] = [];
  execStarts: ExecStart[] = [];
  input: string[] = [];
  chunks: LogChunk[] = [];
  logsError: Error | undefined;
  execScript: (out: ExecOutput, input: string[]) => Promise<number> = async () => 0;
  closed = 0;
  async logs(req: LogsRequest, onChunk: (c: LogChunk) => void): Promise<void> {
    this.logsRequests.push(req);
    if (this.logsError) throw this.logsError;
    for (const c of this.chunks) onChunk(c);
  }
  exec(start: ExecStart, out: ExecOutput): ExecCall {
    this.execStarts.push(start);
    return {
      stdin: (d) => this.input.push(d.toString()),
      closeStdin: () => this.input.push('<EOF>'),
      resize: (w, h) => this.input.push(`<resize ${w}x${h}>`),
      cancel: () => this.input.push('<cancel>'),
      exitCode: new Promise((r) => setImmediate(r)).then(() => this.execScript(out, this.input)),
    };
  }
  close(): void {
    this.closed++;
  }
}

class FakeTerminal implements ExecTerminal {
  raw = 0;
  restored = 0;
  resizeFns: Array<() => void> = [];
  out: string[] = [];
  err: string[] = [];
  currentSize = { width: 120, height: 40 };
  constructor(
    readonly stdinIsTTY: boolean,
    private readonly stdinData: string[] = [],
  ) {}
  size() {
    return this.currentSize;
  }
  makeRaw() {
    this.raw++;
    return () => void this.restored++;
  }
  readStdin(onData: (d: Buffer) => void, onEnd: () => void) {
    for (const d of this.stdinData) onData(Buffer.from(d));
    onEnd();
    return () => undefined;
  }
  onResize(fn: () => void) {
    this.resizeFns.push(fn);
    return () => (this.resizeFns = this.resizeFns.filter((f) => f !== fn));
  }
  writeStdout(d: Buffer) {
    this.out.push(d.toString());
  }
  writeStderr(d: Buffer) {
    this.err.push(d.toString());
  }
}

async function orchard(argv: string[], streams: FakeStreams, terminal = new FakeTerminal(false)) {
  const io = new FakeIo();
  const ctx: ReturnType<typeof fakeContext> & StreamsContext = { ...fakeContext(io, new FakeCluster()), connectStreams: () => streams, terminal };
  const code = await run(argv, ctx);
  return { code, io, terminal };
}

describe('orchard logs', () => {
  const cases: Array<{ name: string; argv: string[]; want: Partial<LogsRequest> }> = [
    { name: 'defaults', argv: ['logs', 'web'], want: { namespace: 'default', name: 'web', container: '', follow: false, timestamps: false, previous: false, tailLines: undefined } },
    { name: 'every flag', argv: ['logs', 'web', '-c', 'app', '-f', '--tail', '2', '--timestamps', '-n', 'shop'], want: { namespace: 'shop', container: 'app', follow: true, timestamps: true, tailLines: 2 } },
    { name: '--previous', argv: ['logs', '--previous', 'web'], want: { previous: true } },
    { name: '--tail -1 is all', argv: ['logs', 'web', '--tail', '-1'], want: { tailLines: undefined } },
    { name: '--since', argv: ['logs', 'web', '--since', '2m'], want: { sinceSeconds: 120 } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const streams = new FakeStreams();
      const { code } = await orchard(c.argv, streams);
      expect(code).toBe(0);
      expect(streams.logsRequests).toHaveLength(1);
      expect(streams.logsRequests[0]).toMatchObject(c.want);
      expect(streams.closed).toBe(1);
    });
  }

  it('prints stdout and stderr of the container on stdout, a split character whole', async () => {
    const streams = new FakeStreams();
    const euro = Buffer.from('€\n');
    streams.chunks = [
      { data: Buffer.from('one\n'), stream: 'stdout' },
      { data: Buffer.from('two\n'), stream: 'stderr' },
      { data: euro.subarray(0, 1), stream: 'stdout' },
      { data: euro.subarray(1), stream: 'stdout' },
    ];
    const { io } = await orchard(['logs', 'web'], streams);
    expect(io.out).toBe('one\ntwo\n€\n');
  });

  it('rejects a malformed --tail without calling the cluster', async () => {
    const streams = new FakeStreams();
    const { code, io } = await orchard(['logs', 'web', '--tail', 'ten'], streams);
    expect(code).not.toBe(0);
    expect(io.err).toContain('must be a whole number of lines');
    expect(streams.logsRequests).toEqual([]);
  });

  it("prints the master's refusal kubectl style", async () => {
    const streams = new FakeStreams();
    streams.logsError = new BadRequestError('a container name must be specified for pod web, choose one of: [a b]');
    const { code, io } = await orchard(['logs', 'web'], streams);
    expect(code).toBe(1);
    expect(io.err).toBe('error: a container name must be specified for pod web, choose one of: [a b]\n');
  });
});

describe('orchard exec', () => {
  it('runs the command after --, returning its exit code', async () => {
    const streams = new FakeStreams();
    streams.execScript = async (out) => {
      out.stdout(Buffer.from('hi\n'));
      return 3;
    };
    const { code, io, terminal } = await orchard(['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'echo hi; exit 3'], streams);
    expect(code).toBe(3);
    expect(terminal.out).toEqual(['hi\n']);
    expect(io.err).toBe('command terminated with exit code 3\n');
    expect(streams.execStarts[0]).toMatchObject({ name: 'web', container: 'app', command: ['sh', '-c', 'echo hi; exit 3'], tty: false, stdin: false });
    expect(streams.input).toEqual([]);
  });

  it('exit code 0 prints nothing extra', async () => {
    const { code, io } = await orchard(['exec', 'web', '--', 'true'], new FakeStreams());
    expect(code).toBe(0);
    expect(io.err).toBe('');
  });

  it('requires a command', async () => {
    const streams = new FakeStreams();
    const { code, io } = await orchard(['exec', 'web'], streams);
    expect(code).toBe(1);
    expect(io.err).toBe('error: you must specify at least one command for the container\n');
    expect(streams.execStarts).toEqual([]);
  });

  it('-i passes stdin through and closes it at its end', async () => {
    const streams = new FakeStreams();
    const { code } = await orchard(['exec', '-i', 'web', '--', 'cat'], streams, new FakeTerminal(false, ['data\n']));
    expect(code).toBe(0);
    expect(streams.execStarts[0]).toMatchObject({ stdin: true, tty: false });
    expect(streams.input).toEqual(['data\n', '<EOF>']);
  });

  it('-it on a terminal: raw mode with the size, resizes relayed, terminal restored', async () => {
    const streams = new FakeStreams();
    const terminal = new FakeTerminal(true);
    streams.execScript = async () => {
      terminal.currentSize = { width: 100, height: 30 };
      for (const fn of terminal.resizeFns) fn();
      return 0;
    };
    const { code } = await orchard(['exec', '-it', 'web', '--', 'sh'], streams, terminal);
    expect(code).toBe(0);
    expect(streams.execStarts[0]).toMatchObject({ stdin: true, tty: true, size: { width: 120, height: 40 } });
    expect(streams.input).toContain('<resize 100x30>');
    expect([terminal.raw, terminal.restored]).toEqual([1, 1]);
    expect(terminal.resizeFns).toEqual([]);
  });

  it('-t without a terminal on stdin warns and runs without a TTY', async () => {
    const streams = new FakeStreams();
    const { code, io, terminal } = await orchard(['exec', '-it', 'web', '--', 'sh'], streams, new FakeTerminal(false));
    expect(code).toBe(0);
    expect(io.err).toBe(`${NO_TTY_WARNING}\n`);
    expect(streams.execStarts[0]).toMatchObject({ tty: false, stdin: true });
    expect(terminal.raw).toBe(0);
  });
});
