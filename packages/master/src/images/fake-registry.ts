import type { HttpRequest, HttpResponse, HttpTransport } from './http-transport';

type Route = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/** A fake HTTP transport for tests: routes by URL (without query), records every request. */
export class FakeRegistry {
  readonly requests: HttpRequest[] = [];
  private readonly routes = new Map<string, Route>();

  on(url: string, route: Route): this {
    this.routes.set(url, route);
    return this;
  }

  readonly transport: HttpTransport = async (req) => {
    this.requests.push(req);
    const route = this.routes.get(req.url.split('?')[0]!);
    if (!route) return json(404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] });
    return route(req);
  };
}

/** A JSON response with its media type. */
export function json(status: number, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': contentType, ...headers }, body: JSON.stringify(body) };
}
