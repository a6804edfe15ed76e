import type { TokenRecord } from './token-record';

/** A stored record with the version used for compare-and-swap (etcd: mod_revision). */
export interface VersionedToken {
  readonly record: TokenRecord;
  readonly version: string;
}

/**
 * Where token records live. The master implements it on etcd
 * (e.g. `/orchard/tokens/<id>`, JSON); tests use MemoryTokenStore.
 */
export interface TokenStore {
  get(id: string): Promise<VersionedToken | undefined>;
  list(): Promise<TokenRecord[]>;
  /** Stores a new record; false if the id is taken. */
  create(record: TokenRecord): Promise<boolean>;
  /** Replaces the record only if it is still at `version`; false otherwise (someone else wrote it). */
  replace(record: TokenRecord, version: string): Promise<boolean>;
  /** Deletes the record; false if it did not exist. */
  delete(id: string): Promise<boolean>;
}

/** An in-memory TokenStore with the same compare-and-swap semantics, for tests. */
export class MemoryTokenStore implements TokenStore {
  private readonly records = new Map<string, VersionedToken>();
  private revision = 0;

  async get(id: string): Promise<VersionedToken | undefined> {
    return this.records.get(id);
  }
  async list(): Promise<TokenRecord[]> {
    return [...this.records.values()].map((v) => v.record).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }
  async create(record: TokenRecord): Promise<boolean> {
    if (this.records.has(record.id)) return false;
    this.records.set(record.id, { record, version: String(++this.revision) });
    return true;
  }
  async replace(record: TokenRecord, version: string): Promise<boolean> {
    const cur = this.records.get(record.id);
    if (!cur || cur.version !== version) return false;
    this.records.set(record.id, { record, version: String(++this.revision) });
    return true;
  }
  async delete(id: string): Promise<boolean> {
    return this.records.delete(id);
  }
}
