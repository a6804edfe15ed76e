import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container, LifecycleHandler } from '@orchard/api';
import { FakeClock } from '../pods/fake-clock';
import { FakeRuntime } from '../runtime/fake-runtime';
import { resolvePort } from './resolve-port';
import { runHandler, type HandlerTarget } from './run-handler';

// httpGet and tcpSocket run against servers on loopback; exec against the fake engine.
let server: http.Server;
let port = 0;
const seen: http.IncomingHttpHeaders[] = [];
let closedPort = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    const code = Number(req.url?.slice(1)) || 404;
    res.writeHead(code, code === 302 ? { Location: '/elsewhere' } : {});
    if (req.url === '/slow') return; // never answers
    res.end('body');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  // A port nothing listens on: bind, note, close.
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedPort = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function target(runtime = new FakeRuntime(new FakeClock(0)), id = 'none'): HandlerTarget {
  return {
    runtime,
    containerId: id,
    container: Container.fromPartial({ name: 'app', ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }] }),
    podIP: '127.0.0.1',
  };
}

describe('runHandler httpGet', () => {
  const cases = [
    { name: '200 is success', path: '/200', ok: true },
    { name: '302 is success (not followed)', path: '/302', ok: true },
    { name: '399 is success', path: '/399', ok: true },
    { name: '404 is failure', path: '/404', ok: false, message: 'statuscode: 404' },
    { name: '500 is failure', path: '/500', ok: false, message: 'statuscode: 500' },
  ];
  it.each(cases)('$name', async ({ path, ok, message }) => {
    const o = await runHandler(LifecycleHandler.fromPartial({ httpGet: { path, port: String(port), scheme: 'HTTP' } }), target(), 1_000, 'readinessProbe');
    expect(o.ok).toBe(ok);
    if (message) expect(o.message).toContain(message);
  });

  it('resolves a named port and sends the given headers', async () => {
    seen.length = 0;
    const h = LifecycleHandler.fromPartial({ httpGet: { path: '/200', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } });
    expect((await runHandler(h, target(), 1_000, 'livenessProbe')).ok).toBe(true);
    expect(seen[0]!['x-probe']).toBe('yes');
  });

  it('fails after timeoutSeconds when the server does not answer', async () => {
    const began = Date.now();
    const o = await runHandler(LifecycleHandler.fromPartial({ httpGet: { path: '/slow', port: String(port) } }), target(), 300, 'livenessProbe');
    expect(o.ok).toBe(false);
    expect(o.message).toContain('timeout');
    expect(Date.now() - began).toBeLessThan(5_000);
  });

  it('fails naming the field for an unknown port name', async () => {
    const o = await runHandler(LifecycleHandler.fromPartial({ httpGet: { path: '/', port: 'metrics' } }), target(), 1_000, 'livenessProbe');
    expect(o).toEqual({ ok: false, message: 'livenessProbe.httpGet.port: container app has no port named "metrics"' });
  });
});

describe('runHandler tcpSocket', () => {
  it('succeeds when the port accepts a connection', async () => {
    expect((await runHandler(LifecycleHandler.fromPartial({ tcpSocket: { port: String(port) } }), target(), 1_000, 'livenessProbe')).ok).toBe(true);
  });
  it('fails when nothing listens', async () => {
    const o = await runHandler(LifecycleHandler.fromPartial({ tcpSocket: { port: String(closedPort) } }), target(), 1_000, 'livenessProbe');
    expect(o.ok).toBe(false);
    expect(o.message).toContain(`127.0.0.1:${closedPort}`);
  });
});

describe('runHandler exec', () => {
  async function running(runtime: FakeRuntime) {
    const id = await runtime.createContainer({ name: 'c', image: 'img', labels: {}, env: [], networkMode: 'bridge', exposedPorts: [], portBindings: [] });
    await runtime.startContainer(id);
    return id;
  }
  const cases = [
    { name: 'exit 0 is success', answer: { exitCode: 0, output: 'ok' } as const, ok: true, message: 'ok' },
    { name: 'exit 1 is failure with the output', answer: { exitCode: 1, output: 'cat: /tmp/healthy: No such file\n' } as const, ok: false, message: 'exited with 1: cat: /tmp/healthy: No such file' },
    { name: 'a timeout is failure', answer: 'timeout' as const, ok: false, message: 'timed out after 1s' },
  ];
  it.each(cases)('$name', async ({ answer, ok, message }) => {
    const runtime = new FakeRuntime(new FakeClock(0));
    const id = await running(runtime);
    runtime.execHandler = () => answer;
    const o = await runHandler(LifecycleHandler.fromPartial({ exec: { command: ['cat', '/tmp/healthy'] } }), target(runtime, id), 1_000, 'livenessProbe');
    expect(o.ok).toBe(ok);
    expect(o.message).toContain(message);
    expect(runtime.calls).toContain('exec c cat /tmp/healthy');
  });

  it('fails for a handler of no kind', async () => {
    const o = await runHandler(LifecycleHandler.fromPartial({}), target(), 1_000, 'startupProbe');
    expect(o).toEqual({ ok: false, message: 'startupProbe: no handler (exec, httpGet or tcpSocket) given' });
  });
});

describe('resolvePort', () => {
  const c = Container.fromPartial({ name: 'web', ports: [{ name: 'http', containerPort: 8080 }] });
  const cases = [
    { name: 'a number', port: '80', want: 80 },
    { name: 'a port name', port: 'http', want: 8080 },
    { name: 'out of range', port: '70000', error: 'f: port 70000 is out of range 1-65535' },
    { name: 'an unknown name', port: 'grpc', error: 'f: container web has no port named "grpc"' },
  ];
  it.each(cases)('$name', ({ port, want, error }) => {
    if (error) expect(() => resolvePort(port, c, 'f')).toThrow(error);
    else expect(resolvePort(port, c, 'f')).toBe(want);
  });
});
