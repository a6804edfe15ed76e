import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeResult, type Cli } from './cli';
import { logTail, type ManagedProcess } from './processes';
import { waitFor } from './wait';

/** What `orchard token create --print-join-command` prints, taken apart. */
export interface JoinCommand {
  /** The whole printed line. */
  line: string;
  server: string;
  token: string;
  caCertHash: string;
}

/** Parses `orchard-agent join HOST:PORT --token T --discovery-token-ca-cert-hash H` (or orchard-master). */
export function parseJoinCommand(line: string): JoinCommand {
  const m = /^orchard-(?:agent|master) join (\S+) --token (\S+) --discovery-token-ca-cert-hash (\S+)$/.exec(line.trim());
  if (!m) throw new Error(`not a join command: ${JSON.stringify(line)}`);
  return { line: line.trim(), server: m[1]!, token: m[2]!, caCertHash: m[3]! };
}

/** Creates a join token with the CLI (extra flags: --usages, --ttl, --master, ...) and returns its join command. */
export async function createJoinCommand(cli: Cli, extra: readonly string[] = []): Promise<JoinCommand> {
  const args = ['token', 'create', '--print-join-command', ...extra];
  const r = await cli(args);
  if (r.code !== 0) throw new Error(describeResult(args, r));
  return parseJoinCommand(r.stdout);
}

/** The admin credentials a master writes on its first start. */
export function adminConfigPath(dataDir: string): string {
  return path.join(dataDir, 'admin.conf');
}

/** Waits until the master has written its admin credentials; returns the file. */
export async function waitAdminConfig(dataDir: string, master: ManagedProcess): Promise<string> {
  const file = adminConfigPath(dataDir);
  await waitFor(`${master.name} to write ${file}`, async () => {
    if (master.exit) throw new Error(`${master.name} exited (${JSON.stringify(master.exit)}):\n${logTail(master, 30)}`);
    return existsSync(file);
  }, { timeoutMs: 30_000, intervalMs: 100 });
  return file;
}

/** True once the agent data folder holds credentials from an earlier join. */
export function hasJoined(agentDataDir: string): boolean {
  return existsSync(path.join(agentDataDir, 'pki', 'node.crt'));
}
