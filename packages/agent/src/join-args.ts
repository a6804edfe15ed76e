import { FlagError } from './flags';

/** `orchard-agent join MASTER:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX [agent flags]`. */
export interface JoinArgs {
  readonly server: string;
  readonly token: string;
  readonly caCertHash: string;
  /** The remaining flags: the agent's own (--node-name, --data-dir, --config, ...). */
  readonly agentArgs: string[];
  /** --join-only: store the credentials and exit (an installer then starts the service). */
  readonly joinOnly: boolean;
}

export const JOIN_USAGE =
  'usage: orchard-agent join MASTER:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX [--join-only] [--node-name NAME] [--data-dir DIR] [--config FILE]';

/**
 * Splits the arguments after `join` into the join's own and the agent's flags (the agent
 * keeps running after it joined, with those flags). Throws FlagError with the usage.
 */
export function parseJoinArgs(args: readonly string[]): JoinArgs {
  const [server, ...rest] = args;
  if (!server || server.startsWith('-')) throw new FlagError(`join: the master address MASTER:PORT comes first\n${JOIN_USAGE}`);
  let token: string | undefined;
  let caCertHash: string | undefined;
  const agentArgs: string[] = [];
  let joinOnly = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--join-only') {
      joinOnly = true;
      continue;
    }
    const take = (flag: string): string | undefined => {
      if (a === flag) {
        const v = rest[++i];
        if (v === undefined || v.startsWith('--')) throw new FlagError(`join: ${flag} needs a value\n${JOIN_USAGE}`);
        return v;
      }
      if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
      return undefined;
    };
    const t = take('--token');
    if (t !== undefined) {
      token = t;
      continue;
    }
    const h = take('--discovery-token-ca-cert-hash');
    if (h !== undefined) {
      caCertHash = h;
      continue;
    }
    agentArgs.push(a);
  }
  if (!token) throw new FlagError(`join: --token is required (create one on a master: orchard token create --print-join-command)\n${JOIN_USAGE}`);
  if (!caCertHash) throw new FlagError(`join: --discovery-token-ca-cert-hash is required: it proves the master is the cluster's\n${JOIN_USAGE}`);
  return { server, token, caCertHash, agentArgs, joinOnly };
}
