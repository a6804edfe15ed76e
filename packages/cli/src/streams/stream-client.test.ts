import { Server, ServerCredentials, status as GrpcStatus, type ServerDuplexStream, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ClusterServiceService, LogChunk, type ExecClientMessage, type ExecServerMessage, type LogsRequest } from '@orchard/api';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcStreamClient } from './stream-client';

/** A master on loopback serving only Logs and Exec. */
async function master(impl: UntypedServiceImplementation): Promise<{ address: string; stop(): void }> {
  const server = new Server();
  server.addService(ClusterServiceService, impl);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

function notHere(name: string) {
  return Object.assign(new Error('not here'), { code: GrpcStatus.UNAVAILABLE, details: `node pi1 is not connected to master ${name}` });
}

/** A frozen master: TCP accepted by the kernel, nothing ever answered. */
async function frozen(): Promise<{ address: string; stop(): void }> {
  const held: net.Socket[] = [];
  const s = net.createServer((c) => held.push(c));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(s.address() as net.AddressInfo).port}`,
    stop: () => {
      for (const c of held) c.destroy();
      s.close();
    },
  };
}

const stops: Array<() => void> = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

describe('GrpcStreamClient', () => {
  it('logs: goes on to the master holding the node when the first says it does not', async () => {
    const m1 = await master({ logs: (call: ServerWritableStream<LogsRequest, LogChunk>) => call.emit('error', notHere('m1')) });
    const m2 = await master({
      logs: (call: ServerWritableStream<LogsRequest, LogChunk>) => {
        call.write(LogChunk.fromPartial({ data: Buffer.from(`${call.request.name} from m2\n`), stream: 'stdout' }));
        call.end();
      },
    });
    stops.push(m1.stop, m2.stop);
    const client = new GrpcStreamClient({ servers: [m1.address, m2.address] });
    const got: string[] = [];
    await client.logs({ namespace: 'default', name: 'web', container: '', follow: false, timestamps: false, previous: false }, (c) => got.push(c.data.toString()));
    client.close();
    expect(got).toEqual(['web from m2\n']);
  });

  it('logs: with no master holding the node, the error says where it was looked for', async () => {
    const m1 = await master({ logs: (call: ServerWritableStream<LogsRequest, LogChunk>) => call.emit('error', notHere('m1')) });
    stops.push(m1.stop);
    const client = new GrpcStreamClient({ servers: [m1.address] });
    await expect(client.logs({ namespace: '', name: 'web', container: '', follow: false, timestamps: false, previous: false }, () => undefined)).rejects.toThrow(
      'node pi1 is not connected to master m1',
    );
    client.close();
  });

  it('exec: replays the start and early input to the next master and returns its exit code', async () => {
    const m1 = await master({
      exec: (call: ServerDuplexStream<ExecClientMessage, ExecServerMessage>) => call.once('data', () => call.emit('error', notHere('m1'))),
    });
    const m2 = await master({
      exec: (call: ServerDuplexStream<ExecClientMessage, ExecServerMessage>) => {
        const seen: string[] = [];
        call.on('data', (m: ExecClientMessage) => {
          const msg = m.message;
          seen.push(msg?.$case === 'stdin' ? `stdin:${msg.stdin.toString()}` : (msg?.$case ?? ''));
          if (msg?.$case === 'stdinClose') {
            call.write({ message: { $case: 'stdout', stdout: Buffer.from(seen.join(',')) } });
            call.write({ message: { $case: 'exit', exit: { exitCode: 3, error: '' } } });
            call.end();
          }
        });
      },
    });
    stops.push(m1.stop, m2.stop);
    const client = new GrpcStreamClient({ servers: [m1.address, m2.address] });
    let out = '';
    const call = client.exec({ namespace: '', name: 'web', container: '', command: ['cat'], tty: false, stdin: true }, { stdout: (d) => (out += d.toString()), stderr: () => undefined });
    call.stdin(Buffer.from('data'));
    call.closeStdin();
    expect(await call.exitCode).toBe(3);
    client.close();
    expect(out).toBe('start,stdin:data,stdinClose');
  });

  it('logs and exec: a master that never completes the connection is given up after the connect timeout', async () => {
    const ice = await frozen();
    const m2 = await master({
      logs: (call: ServerWritableStream<LogsRequest, LogChunk>) => {
        call.write(LogChunk.fromPartial({ data: Buffer.from('from m2\n'), stream: 'stdout' }));
        call.end();
      },
      exec: (call: ServerDuplexStream<ExecClientMessage, ExecServerMessage>) => {
        const seen: string[] = [];
        call.on('data', (m: ExecClientMessage) => {
          seen.push(m.message?.$case ?? '');
          if (m.message?.$case === 'stdinClose') {
            call.write({ message: { $case: 'stdout', stdout: Buffer.from(seen.join(',')) } });
            call.write({ message: { $case: 'exit', exit: { exitCode: 0, error: '' } } });
            call.end();
          }
        });
      },
    });
    stops.push(ice.stop, m2.stop);
    const client = new GrpcStreamClient({ servers: [ice.address, m2.address], connectTimeoutMs: 200 });
    const got: string[] = [];
    const t = Date.now();
    await client.logs({ namespace: 'default', name: 'web', container: '', follow: false, timestamps: false, previous: false }, (c) => got.push(c.data.toString()));
    expect(got).toEqual(['from m2\n']);
    expect(Date.now() - t).toBeLessThan(2000);
    let out = '';
    // Input given while the first master is still being waited for reaches the second.
    const call = client.exec({ namespace: '', name: 'web', container: '', command: ['cat'], tty: false, stdin: true }, { stdout: (d) => (out += d.toString()), stderr: () => undefined });
    call.stdin(Buffer.from('x'));
    call.closeStdin();
    expect(await call.exitCode).toBe(0);
    expect(out).toBe('start,stdin,stdinClose');
    client.close();
  });
});
