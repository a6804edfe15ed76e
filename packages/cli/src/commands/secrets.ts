import { Command } from 'commander';
import { globalsOf, type Context } from '../context';
import { contextAdminConnector, type AdminConnector } from './admin-calls';

/**
 * `orchard secrets reencrypt`: rewrites every Secret not stored under the current
 * encryption key, completing a key rotation at once (the leader also does it by itself
 * when it starts). Kubernetes users do `kubectl get secrets -A -o json | kubectl replace -f -`.
 */
export function secretsCommand(ctx: Context, deps: { connect?: AdminConnector } = {}): Command {
  const connect = deps.connect ?? contextAdminConnector(ctx);
  const secrets = new Command('secrets').description('Manage how Secrets are stored');
  secrets
    .command('reencrypt')
    .description(
      'Rewrite every Secret that is not encrypted with the current key of the masters\' --encryption-config, and report how many. ' +
        'Run it after changing the current key on every master, before removing the old key. Needs admin credentials.',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const r = await connect(globalsOf(cmd), (api) => api.reencryptSecrets());
      ctx.io.stdout(`${r.rewritten} of ${r.total} secrets re-encrypted; every secret is now encrypted with key "${r.keyId}"\n`);
    });
  return secrets;
}
