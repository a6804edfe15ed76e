import { Command } from 'commander';
import type { TokenApi } from '../client';
import { globalsOf, withConnection, type Context, type GlobalOptions } from '../context';
import { parseDuration } from '../duration';
import { humanDuration } from '../printers/age';
import { formatTable } from '../printers/tabwriter';

/** Runs fn with the token calls of the cluster and always closes the connection. */
async function withTokens<T>(ctx: Context, opts: GlobalOptions, fn: (t: TokenApi) => Promise<T>): Promise<T> {
  if (!ctx.connectTokens) throw new Error('join tokens are not available in this context');
  return withConnection(ctx.connectTokens(opts), fn);
}

function parseUsages(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--usages must be a positive whole number, got "${value}"`);
  return n;
}

/** `orchard token create|list|delete`: join tokens for new nodes and masters, as kubeadm has them. */
export function tokenCommand(ctx: Context): Command {
  const token = new Command('token').description('Manage join tokens: what a new node or master needs to join the cluster');

  token
    .command('create')
    .description('Create a join token (shown once); with --print-join-command, the whole command to run on the new machine')
    .option('--ttl <duration>', 'how long the token is valid, e.g. 24h, 30m; 0 never expires', '24h')
    .option('--usages <n>', 'how many joins the token allows (default: unlimited until it expires)')
    .option('--description <text>', 'what the token is for, shown by token list', '')
    .option('--master', 'a token for a new master instead of a node')
    .option('--print-join-command', 'print the join command instead of the token alone')
    .action(async (o: { ttl: string; usages?: string; description: string; master?: boolean; printJoinCommand?: boolean }, cmd: Command) => {
      let ttlMs: number;
      try {
        ttlMs = parseDuration(o.ttl);
      } catch (err) {
        throw new Error(`--ttl: ${(err as Error).message}`);
      }
      if (ttlMs > 0 && ttlMs < 1000) throw new Error(`--ttl must be at least 1s (or 0 for a token that never expires), got "${o.ttl}"`);
      const usagesCount = o.usages === undefined ? undefined : parseUsages(o.usages);
      const res = await withTokens(ctx, globalsOf(cmd), (t) =>
        t.createToken({
          ttlSeconds: ttlMs === 0 ? -1 : Math.round(ttlMs / 1000),
          usagesCount,
          description: o.description,
          usage: o.master ? 'master' : 'node',
        }),
      );
      ctx.io.stdout(`${o.printJoinCommand ? res.joinCommand : res.secretToken}\n`);
    });

  token
    .command('list')
    .description('List join tokens (ids only: secrets are never shown again)')
    .action(async (_o: unknown, cmd: Command) => {
      const { tokens } = await withTokens(ctx, globalsOf(cmd), (t) => t.listTokens());
      const now = ctx.io.now();
      const rows = tokens.map((t) => [
        t.id,
        t.expires ? humanDuration(Date.parse(t.expires) - now) : '<forever>',
        t.expires || '<never>',
        t.usages.join(','),
        t.remainingUses === undefined ? '<unlimited>' : String(t.remainingUses),
        t.description || '<none>',
      ]);
      if (rows.length === 0) {
        ctx.io.stderr('No join tokens found.\n');
        return;
      }
      ctx.io.stdout(formatTable([['ID', 'TTL', 'EXPIRES', 'USAGES', 'USES LEFT', 'DESCRIPTION'], ...rows]));
    });

  token
    .command('delete')
    .description('Delete join tokens: they can no longer be used to join')
    .argument('<id...>', 'token ids (or whole ID.SECRET tokens)')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      await withTokens(ctx, globalsOf(cmd), async (t) => {
        for (const id of ids) {
          await t.deleteToken(id);
          ctx.io.stdout(`token "${id.split('.')[0]}" deleted\n`);
        }
      });
    });
  return token;
}
