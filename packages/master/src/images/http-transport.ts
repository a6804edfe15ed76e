/** One HTTP request of the registry client. */
export interface HttpRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
}

/** Its answer; header names are lower case. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The registry client's seam to the network (GET only: the client never writes). */
export type HttpTransport = (req: HttpRequest) => Promise<HttpResponse>;

/** Largest body read: manifests and image configs are a few KiB; anything else is not one. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The transport over Node's fetch (redirects followed, as blob downloads need). */
export const fetchTransport: HttpTransport = async (req) => {
  const res = await fetch(req.url, { method: 'GET', headers: req.headers, signal: req.signal, redirect: 'follow' });
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_BODY_BYTES) {
    await res.body?.cancel();
    throw new Error(`${req.url}: response of ${length} bytes is too large`);
  }
  const body = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
  return { status: res.status, headers, body };
};
