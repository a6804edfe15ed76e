import http from 'node:http';
import https from 'node:https';
import type { HTTPHeader } from '@orchard/api/agent';
import type { ProbeOutcome } from './probe-outcome';

export interface HttpProbeTarget {
  scheme: string;
  host: string;
  port: number;
  path: string;
  headers: readonly HTTPHeader[];
}

/**
 * GETs the target: a status from 200 to 399 is success (redirects are not followed, a
 * 3xx counts as success as Kubernetes counts it). HTTPS is not verified: a pod's
 * certificate is rarely issued for its IP. Only the status is read; the body is dropped.
 */
export function httpProbe(t: HttpProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const url = `${t.scheme.toLowerCase()}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}${t.path.startsWith('/') ? t.path : `/${t.path}`}`;
  const headers: Record<string, string> = { 'User-Agent': 'orchard-probe/1.0', Accept: '*/*' };
  for (const h of t.headers) {
    // A Host header overrides the request's host, as Kubernetes does.
    headers[h.name] = h.value;
  }
  const secure = t.scheme.toUpperCase() === 'HTTPS';
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: ProbeOutcome) => {
      if (done) return;
      done = true;
      resolve(o);
    };
    const req = (secure ? https : http).request(
      url,
      { method: 'GET', headers, timeout: timeoutMs, ...(secure ? { rejectUnauthorized: false } : {}) },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        req.destroy();
        if (code >= 200 && code < 400) finish({ ok: true, message: `HTTP probe succeeded with statuscode: ${code}` });
        else finish({ ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      },
    );
    req.on('timeout', () => {
      req.destroy();
      finish({ ok: false, message: `Get "${url}": context deadline exceeded (timeout ${timeoutMs / 1000}s)` });
    });
    req.on('error', (err) => finish({ ok: false, message: `Get "${url}": ${err.message}` }));
    req.end();
  });
}
