import { MasterInfo, type Logger } from '@orchard/api';
import type { Etcd3, Lease } from 'etcd3';
import { fromEtcdError } from '../store/errors';

/** Where masters announce themselves: /orchard/masters/<name>, bound to a lease. */
export const MASTERS_PREFIX = '/orchard/masters/';

/** What a master announces about itself. */
export interface MasterRecord {
  readonly name: string;
  readonly address: string;
  readonly version: string;
  readonly startedAt: string;
}

/**
 * Keeps this master's record in etcd while it runs. The key is bound to a lease, so a
 * master that dies disappears from `orchard get masters` within the TTL.
 */
export class MasterRegistry {
  private lease: Lease | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly etcd: Etcd3,
    private readonly record: MasterRecord,
    private readonly log: Logger,
    private readonly ttlSeconds = 10,
  ) {}

  /** Writes the record; a lost lease is re-granted in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    const lease = this.etcd.lease(this.ttlSeconds);
    this.lease = lease;
    lease.on('lost', (err) => {
      if (this.stopped || this.lease !== lease) return;
      this.log.warn({ err: err.message }, 'master record lease lost; registering again');
      this.retry = setTimeout(() => void this.start().catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'registering failed')), 1000);
    });
    try {
      await lease.put(MASTERS_PREFIX + this.record.name).value(JSON.stringify(this.record));
    } catch (err) {
      throw fromEtcdError(err, 'register master');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.lease?.revoke().catch(() => undefined);
  }

  /**
   * Every registered master; `leader` marks the one named `leaderName`.
   */
  static async list(etcd: Etcd3, leaderName: string | undefined): Promise<MasterInfo[]> {
    let values: Record<string, string>;
    try {
      values = await etcd.getAll().prefix(MASTERS_PREFIX).strings();
    } catch (err) {
      throw fromEtcdError(err, 'list masters');
    }
    const out: MasterInfo[] = [];
    for (const v of Object.values(values)) {
      try {
        const r = JSON.parse(v) as MasterRecord;
        out.push(MasterInfo.fromPartial({ ...r, leader: r.name === leaderName }));
      } catch {
        // A record this version cannot read is skipped, not fatal.
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }
}
