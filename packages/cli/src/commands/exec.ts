import { Command, CommanderError } from 'commander';
import { ExecStart } from '@orchard/api';
import { globalsOf, namespaceOf, type Context } from '../context';
import { streamsOf, terminalOf } from '../streams/streams-context';

interface ExecOptions {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
}

/** kubectl's warning when -t is asked for without a terminal on stdin. */
export const NO_TTY_WARNING = 'Unable to use a TTY - input is not a terminal or the right kind of file';

/**
 * `orchard exec [-i] [-t] POD [-c C] -- CMD...`, as kubectl exec: the remote command's
 * output on stdout and stderr (one stream under a TTY), its exit code as the process's.
 */
export function execCommand(ctx: Context): Command {
  return new Command('exec')
    .description('Run a command in a container of a pod')
    .usage('[-i] [-t] POD [-c CONTAINER] -- COMMAND [args...]')
    .argument('<pod>', 'the pod')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('-c, --container <name>', 'the container (required when the pod has several)')
    .option('-i, --stdin', 'pass stdin to the command')
    .option('-t, --tty', 'stdin is a TTY: an interactive terminal (with -i)')
    .action(async (pod: string, command: string[], opts: ExecOptions, cmd: Command) => {
      if (command.length === 0) throw new Error('you must specify at least one command for the container');
      const code = await runExec(ctx, cmd, pod, command, opts);
      if (code !== 0) {
        ctx.io.stderr(`command terminated with exit code ${code}\n`);
        // The exit code is the remote command's; the message above is all there is to say.
        throw new CommanderError(code, 'orchard.exec', `command terminated with exit code ${code}`);
      }
    });
}

async function runExec(ctx: Context, cmd: Command, pod: string, command: string[], opts: ExecOptions): Promise<number> {
  const globals = globalsOf(cmd);
  const term = terminalOf(ctx);
  const stdin = opts.stdin === true;
  const tty = opts.tty === true && stdin && term.stdinIsTTY;
  if (opts.tty && !tty) ctx.io.stderr(`${NO_TTY_WARNING}\n`);
  const size = tty ? term.size() : undefined;
  const start = ExecStart.fromPartial({ namespace: namespaceOf(globals), name: pod, container: opts.container ?? '', command, tty, stdin, size });
  const streams = streamsOf(ctx, globals);
  const call = streams.exec(start, { stdout: (d) => term.writeStdout(d), stderr: (d) => term.writeStderr(d) });
  const cleanups: Array<() => void> = [];
  try {
    if (tty) {
      cleanups.push(term.makeRaw());
      cleanups.push(
        term.onResize(() => {
          const s = term.size();
          if (s) call.resize(s.width, s.height);
        }),
      );
    } else {
      // Under a TTY Ctrl-C is a key for the remote shell; otherwise it abandons the command.
      cleanups.push(ctx.io.onInterrupt(() => call.cancel()));
    }
    if (stdin) cleanups.push(term.readStdin((d) => call.stdin(d), () => call.closeStdin()));
    return await call.exitCode;
  } finally {
    for (const fn of cleanups.reverse()) fn();
    streams.close();
  }
}
