import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { JoinError } from './errors';

export interface FetchCaOptions {
  readonly timeoutMs?: number;
}

/**
 * Reads the cluster CA from the master's TLS handshake (the master sends its serving
 * certificate followed by the CA). The connection is NOT trusted at this point, which is
 * why the result must go through fetchAndPinCA before any use; nothing is sent over it.
 */
export function fetchCaFromServer(host: string, port: number, opts: FetchCaOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
      // Deliberately unverified: the pin check that follows is the verification.
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    });
    const fail = (message: string, cause?: unknown) => {
      socket.destroy();
      reject(new JoinError(`cannot read the CA from ${host}:${port}: ${message}`, { cause }));
    };
    socket.setTimeout(opts.timeoutMs ?? 10_000, () => fail('timed out'));
    socket.once('error', (err) => fail(err.message, err));
    socket.once('secureConnect', () => {
      const chain = peerChain(socket);
      socket.end();
      socket.destroy();
      const ca = chain.find((c) => c.ca && c.checkIssued(c));
      if (!ca) fail(`the server sent ${chain.length} certificate(s) and none is a self-signed CA`);
      else resolve(ca.toString());
    });
  });
}

/** The certificates the server sent, leaf first. */
function peerChain(socket: tls.TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cert = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate;
  }
  return out;
}
