import net from 'node:net';
import type { ProbeOutcome } from './probe-outcome';

/** Opens a TCP connection to host:port and closes it: connecting is success. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let done = false;
    const finish = (o: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }), timeoutMs);
    socket.once('connect', () => finish({ ok: true, message: '' }));
    socket.once('error', (err) => finish({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}
