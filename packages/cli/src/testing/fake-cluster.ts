import {
  ApplyResponse,
  DeleteResponse,
  ListMastersResponse,
  ListResponse,
  TopResponse,
  NotFoundError,
  UnavailableError,
  kindOf,
  metaOf,
  objectKey,
  parseLabelSelector,
  resolveKind,
  selectorMatches,
  type ApiObject,
  type ApplyRequest,
  type DeleteRequest,
  type GetRequest,
  type ListRequest,
  type MasterInfo,
  type TopRequest,
  type UsageRow,
  type WatchEvent,
  type WatchRequest,
} from '@orchard/api';
import type { ClusterApi } from '../client';
import type { Context } from '../context';
import type { Io } from '../io';

/**
 * An in-memory cluster behind the ClusterApi seam, for command tests: it records the
 * requests it gets and answers from a map of objects.
 */
export class FakeCluster implements ClusterApi {
  readonly objects = new Map<string, ApiObject>();
  readonly requests: Array<{ method: string; req: unknown }> = [];
  masters: MasterInfo[] = [];
  watchEvents: WatchEvent[] = [];
  /** What top answers, whatever it is asked. */
  usageRows: UsageRow[] = [];
  /** Gets of a deleted object that still find it (a pod that takes a while to stop). */
  lingerGets = 0;
  private lingering = new Map<string, ApiObject>();
  closed = 0;

  constructor(objects: readonly ApiObject[] = []) {
    for (const o of objects) this.put(o);
  }

  put(o: ApiObject): void {
    const m = metaOf(o);
    this.objects.set(objectKey(kindOf(o), m.namespace, m.name), o);
  }

  async apply(req: ApplyRequest): Promise<ApplyResponse> {
    this.requests.push({ method: 'apply', req });
    const results = req.objects.map((o) => {
      const m = metaOf(o);
      const key = objectKey(kindOf(o), m.namespace, m.name);
      const action = this.objects.has(key) ? 'configured' : 'created';
      if (!req.dryRun) this.objects.set(key, o);
      return { object: o, action };
    });
    return ApplyResponse.fromPartial({ results });
  }

  async get(req: GetRequest): Promise<ApiObject> {
    this.requests.push({ method: 'get', req });
    const kind = resolveKind(req.kind);
    const key = objectKey(kind, req.namespace, req.name);
    const lingering = this.lingering.get(key);
    if (lingering && this.lingerGets > 0) {
      this.lingerGets--;
      return lingering;
    }
    this.lingering.delete(key);
    const o = this.objects.get(key);
    if (!o) throw new NotFoundError(kind.plural, req.name);
    return o;
  }

  async list(req: ListRequest): Promise<ListResponse> {
    this.requests.push({ method: 'list', req });
    const kind = resolveKind(req.kind);
    const sel = parseLabelSelector(req.labelSelector);
    const items = [...this.objects.values()].filter(
      (o) =>
        kindOf(o) === kind &&
        (!kind.namespaced || req.allNamespaces || metaOf(o).namespace === req.namespace) &&
        selectorMatches(sel, metaOf(o).labels),
    );
    return ListResponse.fromPartial({ items, resourceVersion: '1' });
  }

  async delete(req: DeleteRequest): Promise<DeleteResponse> {
    this.requests.push({ method: 'delete', req });
    const kind = resolveKind(req.kind);
    const key = objectKey(kind, req.namespace, req.name);
    const o = this.objects.get(key);
    if (!o) throw new NotFoundError(kind.plural, req.name);
    this.objects.delete(key);
    if (this.lingerGets > 0) this.lingering.set(key, o);
    return DeleteResponse.fromPartial({ object: o });
  }

  async listMasters(): Promise<ListMastersResponse> {
    this.requests.push({ method: 'listMasters', req: {} });
    return ListMastersResponse.fromPartial({ masters: this.masters });
  }

  async top(req: TopRequest): Promise<TopResponse> {
    this.requests.push({ method: 'top', req });
    return TopResponse.fromPartial({ rows: this.usageRows });
  }

  /** Watch streams that break (UNAVAILABLE) after this many events; one entry per call. */
  watchBreaksAfter: number[] = [];

  async watch(req: WatchRequest, onEvent: (ev: WatchEvent) => void): Promise<void> {
    this.requests.push({ method: 'watch', req });
    const breakAfter = this.watchBreaksAfter.shift();
    const from = req.resourceVersion ? BigInt(req.resourceVersion) : -1n;
    let sent = 0;
    for (const ev of this.watchEvents) {
      if (BigInt(ev.object?.resource ? metaOf(ev.object).resourceVersion || '0' : '0') <= from) continue;
      if (breakAfter !== undefined && sent === breakAfter) throw new UnavailableError('master went away');
      onEvent(ev);
      sent++;
    }
  }

  close(): void {
    this.closed++;
  }

  /** The requests of one method, in order. */
  calls<T>(method: string): T[] {
    return this.requests.filter((r) => r.method === method).map((r) => r.req as T);
  }
}

/** A terminal that records what the CLI prints, with a fixed clock and instant sleeps. */
export class FakeIo implements Io {
  out = '';
  err = '';
  stdin = '';
  files = new Map<string, string>();
  envVars: Record<string, string> = {};
  constructor(public time = Date.parse('2026-01-01T12:00:00Z')) {}
  stdout(s: string): void {
    this.out += s;
  }
  stderr(s: string): void {
    this.err += s;
  }
  async readStdin(): Promise<string> {
    return this.stdin;
  }
  async readFile(f: string): Promise<string> {
    const t = this.files.get(f);
    if (t === undefined) throw new Error(`ENOENT: no such file or directory, open '${f}'`);
    return t;
  }
  async readDir(dir: string): Promise<Array<{ name: string; dir: boolean }>> {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const names = new Map<string, boolean>();
    for (const f of this.files.keys()) {
      if (!f.startsWith(prefix)) continue;
      const rest = f.slice(prefix.length);
      const slash = rest.indexOf('/');
      names.set(slash < 0 ? rest : rest.slice(0, slash), slash >= 0);
    }
    return [...names].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, d]) => ({ name, dir: d }));
  }
  async isDir(p: string): Promise<boolean> {
    if (this.files.has(p)) return false;
    const prefix = p.endsWith('/') ? p : `${p}/`;
    if ([...this.files.keys()].some((f) => f.startsWith(prefix))) return true;
    throw new Error(`ENOENT: no such file or directory, stat '${p}'`);
  }
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }
  onInterrupt(): () => void {
    return () => {};
  }
  env(name: string): string | undefined {
    return this.envVars[name];
  }
}

/** A context whose connect hands out the fake cluster and remembers the flags it got. */
export function fakeContext(io: FakeIo, cluster: FakeCluster): Context & { connects: unknown[] } {
  const connects: unknown[] = [];
  return {
    io,
    connects,
    connect(opts) {
      connects.push(opts);
      return cluster;
    },
  };
}
