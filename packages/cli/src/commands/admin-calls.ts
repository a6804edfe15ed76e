import type { AdminApi } from '../client';
import { withConnection, type Context, type GlobalOptions } from '../context';

/** Opens the admin calls for these flags; closes the connection when `fn` is done. */
export type AdminConnector = <T>(opts: GlobalOptions, fn: (api: AdminApi) => Promise<T>) => Promise<T>;

/**
 * The admin calls of the context's cluster client: the same masters, credentials and
 * failover as every other command (a write is never resent once a master may have seen it).
 */
export function contextAdminConnector(ctx: Context): AdminConnector {
  return async (opts, fn) => {
    if (!ctx.connectAdmin) throw new Error('this command needs a connection to a master');
    return withConnection(ctx.connectAdmin(opts), fn);
  };
}
