import { describe, expect, it } from 'vitest';
import { checkDockerSocket, socketPathOf } from './docker-socket-check';
import type { DockerPing, DockerProbe } from './docker-probe';

function probeAnswering(ping: DockerPing): DockerProbe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async ping(p) {
      asked.push(p);
      return ping;
    },
  };
}

describe('checkDockerSocket', () => {
  const S = '/var/run/docker.sock';
  const cases: { name: string; ping: DockerPing; want: { ok: boolean; message?: string; detail?: string } }[] = [
    { name: 'Docker answers', ping: { ok: true, apiVersion: '1.41' }, want: { ok: true, detail: 'Docker API 1.41' } },
    {
      name: 'no socket',
      ping: { ok: false, reason: 'missing', detail: 'connect ENOENT' },
      want: {
        ok: false,
        message:
          'no Docker socket at /var/run/docker.sock: install Docker (apt-get install docker.io) and start it ' +
          '(systemctl enable --now docker), or pass --docker-socket',
      },
    },
    {
      name: 'not permitted',
      ping: { ok: false, reason: 'permission', detail: 'connect EACCES' },
      want: {
        ok: false,
        message: 'permission denied on /var/run/docker.sock: run orchard-agent as root or add its user to the docker group',
      },
    },
    {
      name: 'dockerd stopped',
      ping: { ok: false, reason: 'refused', detail: 'connect ECONNREFUSED' },
      want: {
        ok: false,
        message:
          'Docker is not running: /var/run/docker.sock exists but nothing answers on it (connection refused): ' +
          'start it (systemctl start docker) and see `journalctl -u docker` if it does not stay up',
      },
    },
    {
      name: 'dockerd hung',
      ping: { ok: false, reason: 'timeout', detail: 'no answer' },
      want: {
        ok: false,
        message:
          'Docker is not answering on /var/run/docker.sock (no reply to /_ping within 5 s): check the engine ' +
          '(systemctl status docker, journalctl -u docker) and restart it (systemctl restart docker)',
      },
    },
    {
      name: 'something else on the socket',
      ping: { ok: false, reason: 'bad-response', detail: 'GET /_ping answered "HTTP/1.1 404 Not Found"' },
      want: {
        ok: false,
        message:
          '/var/run/docker.sock is not a Docker engine socket (GET /_ping answered "HTTP/1.1 404 Not Found"): ' +
          "pass the engine's socket with --docker-socket",
      },
    },
    {
      name: 'other error',
      ping: { ok: false, reason: 'error', detail: 'connect ENAMETOOLONG' },
      want: { ok: false, message: 'cannot reach Docker on /var/run/docker.sock: connect ENAMETOOLONG' },
    },
  ];
  it.each(cases)('$name', async ({ ping, want }) => {
    const got = await checkDockerSocket(probeAnswering(ping), S, 5000);
    expect(got).toEqual({ name: 'docker-socket', ...want });
  });

  it('a unix:// URL is probed at its path', async () => {
    const probe = probeAnswering({ ok: true });
    await checkDockerSocket(probe, 'unix:///run/user/1000/docker.sock', 5000);
    expect(probe.asked).toEqual(['/run/user/1000/docker.sock']);
  });

  it.each([
    { socket: '/var/run/docker.sock', want: '/var/run/docker.sock' },
    { socket: 'unix:///var/run/docker.sock', want: '/var/run/docker.sock' },
  ])('socketPathOf($socket)', ({ socket, want }) => {
    expect(socketPathOf(socket)).toBe(want);
  });
});
