import net from 'node:net';

/** What came back from asking the Docker engine for /_ping. */
export type DockerPing =
  | { ok: true; apiVersion?: string }
  | {
      ok: false;
      /**
       * missing: no socket file; permission: EACCES/EPERM; refused: a socket nobody listens
       * on (dockerd stopped); timeout: no answer in time; bad-response: something that is not
       * Docker answered; error: anything else.
       */
      reason: 'missing' | 'permission' | 'refused' | 'timeout' | 'bad-response' | 'error';
      detail: string;
    };

/** Asks a Docker engine whether it is there. */
export interface DockerProbe {
  ping(socketPath: string, timeoutMs: number): Promise<DockerPing>;
}

function classify(err: NodeJS.ErrnoException): DockerPing {
  const detail = err.message;
  switch (err.code) {
    case 'ENOENT':
      return { ok: false, reason: 'missing', detail };
    case 'EACCES':
    case 'EPERM':
      return { ok: false, reason: 'permission', detail };
    case 'ECONNREFUSED':
      return { ok: false, reason: 'refused', detail };
    default:
      return { ok: false, reason: 'error', detail };
  }
}

/**
 * The real probe: one HTTP/1.1 GET /_ping over the unix socket, by hand, so that preflight
 * needs no Docker client and tells "no socket", "not permitted" and "not answering" apart.
 */
export const unixSocketDockerProbe: DockerProbe = {
  ping(socketPath, timeoutMs) {
    return new Promise((resolve) => {
      let settled = false;
      let response = '';
      const done = (result: DockerPing) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const socket = net.createConnection({ path: socketPath });
      const timer = setTimeout(
        () => done({ ok: false, reason: 'timeout', detail: `no answer to GET /_ping within ${timeoutMs} ms` }),
        timeoutMs,
      );
      socket.setEncoding('latin1');
      socket.on('connect', () => socket.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n'));
      socket.on('data', (chunk: string) => {
        response += chunk;
        if (response.length > 64 * 1024) done({ ok: false, reason: 'bad-response', detail: 'oversized answer to GET /_ping' });
      });
      socket.on('error', (err) => done(classify(err)));
      socket.on('end', () => {
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(response);
        const body = response.slice(response.indexOf('\r\n\r\n') + 4);
        if (status?.[1] === '200' && /(^|\r\n)OK(\r\n|$)/.test(body)) {
          const api = /\r\napi-version:\s*([^\r\n]+)/i.exec(response);
          done(api ? { ok: true, apiVersion: api[1].trim() } : { ok: true });
        } else {
          const first = response.split('\r\n', 1)[0] || '(empty answer)';
          done({ ok: false, reason: 'bad-response', detail: `GET /_ping answered "${first.slice(0, 100)}"` });
        }
      });
    });
  },
};
