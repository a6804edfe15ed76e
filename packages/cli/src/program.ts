import { Command, CommanderError } from 'commander';
import { applyCommand } from './commands/apply';
import { cordonCommand, uncordonCommand } from './commands/cordon';
import { createCommand } from './commands/create';
import { drainCommand } from './commands/drain';
import { labelCommand } from './commands/label';
import { taintCommand } from './commands/taint';
import { deleteCommand } from './commands/delete';
import { describeCommand } from './commands/describe';
import { execCommand } from './commands/exec';
import { getCommand } from './commands/get';
import { logsCommand } from './commands/logs';
import { tokenCommand } from './commands/token';
import { credentialsCommand } from './commands/credentials';
import { secretsCommand } from './commands/secrets';
import { topCommand } from './commands/top';
import { CLI_VERSION, versionCommand } from './commands/version';
import { CommandErrors, type Context } from './context';

/** The `orchard` command tree; flags are defined here and in commands/, apart from what they do. */
export function buildProgram(ctx: Context): Command {
  const program = new Command('orchard')
    .description('orchard controls an Orchard cluster: apply Kubernetes YAML, get, describe and delete objects')
    .version(CLI_VERSION, '--client-version', 'print the client version')
    .option('-s, --server <addresses>', 'master addresses HOST:PORT, comma-separated (default: $ORCHARD_SERVER, else the masters of the client configuration)')
    .option('--config <file>', 'client configuration (masters, CA, client certificate); read after ~/.orchard/config and $ORCHARD_CONFIG')
    .option('-n, --namespace <namespace>', 'the namespace of the request (default: "default")')
    .option('--request-timeout <duration>', 'how long to wait for one answer from a master, e.g. 10s; 0 waits forever', '30s')
    .option('--connect-timeout <duration>', 'how long to wait for the connection to one master (TCP and TLS handshakes) before trying the next, e.g. 1s (default: connectTimeout of the client configuration, else 3s)')
    .showSuggestionAfterError()
    .exitOverride();
  program.configureOutput({
    writeOut: (s) => ctx.io.stdout(s),
    writeErr: (s) => ctx.io.stderr(s),
  });
  for (const cmd of [applyCommand(ctx), createCommand(ctx), getCommand(ctx), describeCommand(ctx), deleteCommand(ctx), logsCommand(ctx), execCommand(ctx), cordonCommand(ctx), uncordonCommand(ctx), drainCommand(ctx), labelCommand(ctx), taintCommand(ctx), topCommand(ctx), tokenCommand(ctx), credentialsCommand(ctx), secretsCommand(ctx), versionCommand(ctx)]) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) });
    program.addCommand(cmd);
  }
  return program;
}

/**
 * Runs the CLI on argv (without node and script) and returns the exit code. Every error
 * is printed kubectl style, `error: <message>`, on stderr.
 */
export async function run(argv: readonly string[], ctx: Context): Promise<number> {
  const program = buildProgram(ctx);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its own message (help, version, usage errors).
      return err.exitCode;
    }
    const messages = err instanceof CommandErrors ? err.messages : [(err as Error).message];
    for (const m of messages) ctx.io.stderr(`error: ${m}\n`);
    return 1;
  }
}
