import type { Etcd3 } from 'etcd3';
import type { TokenRecord, TokenStore, VersionedToken } from '../tokens';

/** Where join tokens live: one JSON record per token (only the secret's hash). */
export const TOKENS_PREFIX = '/orchard/tokens/';

/** TokenStore on etcd; replace() is a transaction on the key's mod_revision, so uses are counted exactly across masters. */
export class EtcdTokenStore implements TokenStore {
  constructor(private readonly etcd: Etcd3) {}

  async get(id: string): Promise<VersionedToken | undefined> {
    const res = await this.etcd.get(TOKENS_PREFIX + id).exec();
    const kv = res.kvs[0];
    if (!kv) return undefined;
    return { record: JSON.parse(kv.value.toString('utf8')) as TokenRecord, version: kv.mod_revision };
  }

  async list(): Promise<TokenRecord[]> {
    const all = await this.etcd.getAll().prefix(TOKENS_PREFIX).strings();
    return Object.values(all)
      .map((v) => JSON.parse(v) as TokenRecord)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async create(record: TokenRecord): Promise<boolean> {
    const key = TOKENS_PREFIX + record.id;
    const res = await this.etcd.if(key, 'Create', '==', 0).then(this.etcd.put(key).value(JSON.stringify(record))).commit();
    return res.succeeded;
  }

  async replace(record: TokenRecord, version: string): Promise<boolean> {
    const key = TOKENS_PREFIX + record.id;
    const res = await this.etcd.if(key, 'Mod', '==', version).then(this.etcd.put(key).value(JSON.stringify(record))).commit();
    return res.succeeded;
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.etcd.delete().key(TOKENS_PREFIX + id).exec();
    return Number(res.deleted) > 0;
  }
}
