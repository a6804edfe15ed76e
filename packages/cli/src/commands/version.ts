import { Command } from 'commander';
import { globalsOf, withCluster, type Context } from '../context';

/** The version of this CLI. */
export const CLI_VERSION = '0.1.0';

/** `orchard version`: the client's version and the masters' (the leader's first). */
export function versionCommand(ctx: Context): Command {
  return new Command('version')
    .description('Print the client and server versions')
    .option('--client', 'the client version only')
    .action(async (opts: { client?: boolean }, cmd: Command) => {
      ctx.io.stdout(`Client Version: v${CLI_VERSION}\n`);
      if (opts.client) return;
      const { masters } = await withCluster(ctx, globalsOf(cmd), (c) => c.listMasters());
      const m = masters.find((x) => x.leader) ?? masters[0];
      ctx.io.stdout(`Server Version: ${m ? `v${m.version}` : '<unknown>'}\n`);
    });
}
