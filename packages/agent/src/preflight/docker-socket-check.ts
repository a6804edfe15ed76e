import { failed, passed, type CheckResult } from './check';
import type { DockerProbe } from './docker-probe';

export const DOCKER_SOCKET_CHECK = 'docker-socket';

/** "unix:///var/run/docker.sock" or a bare path → the path. */
export function socketPathOf(socket: string): string {
  return socket.startsWith('unix://') ? socket.slice('unix://'.length) : socket;
}

/**
 * The Docker engine must answer on its socket, and this process must be allowed to use it.
 * Each way it can fail gets its own fix.
 */
export async function checkDockerSocket(probe: DockerProbe, socket: string, timeoutMs: number): Promise<CheckResult> {
  const path = socketPathOf(socket);
  const ping = await probe.ping(path, timeoutMs);
  if (ping.ok) return passed(DOCKER_SOCKET_CHECK, ping.apiVersion ? `Docker API ${ping.apiVersion}` : undefined);
  const fail = (m: string) => failed(DOCKER_SOCKET_CHECK, m);
  switch (ping.reason) {
    case 'missing':
      return fail(
        `no Docker socket at ${path}: install Docker (apt-get install docker.io) and start it ` +
          '(systemctl enable --now docker), or pass --docker-socket',
      );
    case 'permission':
      return fail(`permission denied on ${path}: run orchard-agent as root or add its user to the docker group`);
    case 'refused':
      return fail(
        `Docker is not running: ${path} exists but nothing answers on it (connection refused): ` +
          'start it (systemctl start docker) and see `journalctl -u docker` if it does not stay up',
      );
    case 'timeout':
      return fail(
        `Docker is not answering on ${path} (no reply to /_ping within ${timeoutMs / 1000} s): ` +
          'check the engine (systemctl status docker, journalctl -u docker) and restart it (systemctl restart docker)',
      );
    case 'bad-response':
      return fail(`${path} is not a Docker engine socket (${ping.detail}): pass the engine's socket with --docker-socket`);
    default:
      return fail(`cannot reach Docker on ${path}: ${ping.detail}`);
  }
}
