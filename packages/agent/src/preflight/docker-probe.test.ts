import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unixSocketDockerProbe, type DockerPing } from './docker-probe';

/** Fake engines on unix sockets in a temporary folder, each answering GET /_ping its own way. */
describe('unixSocketDockerProbe', () => {
  let dir: string;
  const servers: net.Server[] = [];

  function serve(name: string, answer: string | null): string {
    const p = path.join(dir, name);
    const server = net.createServer((conn) => {
      conn.on('data', () => {
        if (answer !== null) conn.end(answer);
        // null: accept and never answer.
      });
    });
    server.listen(p);
    servers.push(server);
    return p;
  }

  const paths: Record<string, string> = {};

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-probe-'));
    paths.docker = serve(
      'docker.sock',
      'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOK',
    );
    paths.chunked = serve('chunked.sock', 'HTTP/1.1 200 OK\r\nAPI-Version: 1.43\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n0\r\n\r\n');
    paths.other = serve('other.sock', 'HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found');
    paths.garbage = serve('garbage.sock', 'hello\n');
    paths.silent = serve('silent.sock', null);
    // A socket file whose listener is gone, as dockerd leaves it when killed.
    paths.stale = path.join(dir, 'stale.sock');
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(paths.stale)}, () => process.exit(0))`]);
    paths.missing = path.join(dir, 'missing.sock');
    await Promise.all(servers.map((s) => new Promise((r) => (s.listening ? r(null) : s.once('listening', r)))));
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: { name: string; socket: string; want: Partial<DockerPing> }[] = [
    { name: 'Docker answers OK with its API version', socket: 'docker', want: { ok: true, apiVersion: '1.41' } },
    { name: 'chunked answer', socket: 'chunked', want: { ok: true, apiVersion: '1.43' } },
    { name: 'another HTTP server', socket: 'other', want: { ok: false, reason: 'bad-response' } },
    { name: 'not HTTP at all', socket: 'garbage', want: { ok: false, reason: 'bad-response' } },
    { name: 'accepts but never answers', socket: 'silent', want: { ok: false, reason: 'timeout' } },
    { name: 'socket file without a listener', socket: 'stale', want: { ok: false, reason: 'refused' } },
    { name: 'no socket file', socket: 'missing', want: { ok: false, reason: 'missing' } },
  ];
  it.each(cases)('$name', async ({ socket, want }) => {
    expect(await unixSocketDockerProbe.ping(paths[socket], 300)).toMatchObject(want);
  });

  it('the host Docker engine answers', async () => {
    expect(await unixSocketDockerProbe.ping('/var/run/docker.sock', 5000)).toMatchObject({ ok: true, apiVersion: expect.stringMatching(/^1\.\d+$/) });
  });
});
