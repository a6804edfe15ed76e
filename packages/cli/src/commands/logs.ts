import { StringDecoder } from 'node:string_decoder';
import { Command, InvalidArgumentError } from 'commander';
import { LogsRequest } from '@orchard/api';
import { globalsOf, namespaceOf, type Context } from '../context';
import { parseDuration } from '../duration';
import { streamsOf } from '../streams/streams-context';

interface LogsOptions {
  container?: string;
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
  previous?: boolean;
  since?: string;
}

/** --tail: a whole number; -1 (kubectl's default) means every line. */
export function parseTail(v: string): number {
  if (!/^-?\d+$/.test(v) || Number(v) < -1) throw new InvalidArgumentError('must be a whole number of lines (-1 for all)');
  return Number(v);
}

/** The request of `orchard logs` for its flags. */
export function logsRequest(namespace: string, pod: string, o: LogsOptions): LogsRequest {
  const since = o.since === undefined ? undefined : Math.ceil(parseDuration(o.since) / 1000);
  return LogsRequest.fromPartial({
    namespace,
    name: pod,
    container: o.container ?? '',
    follow: o.follow === true,
    timestamps: o.timestamps === true,
    previous: o.previous === true,
    tailLines: o.tail === undefined || o.tail < 0 ? undefined : o.tail,
    sinceSeconds: since,
  });
}

/** `orchard logs POD [-c C] [-f] [--tail N] [--timestamps] [--previous]`, as kubectl logs. */
export function logsCommand(ctx: Context): Command {
  return new Command('logs')
    .description("Print the logs of a container in a pod (the pod's only container unless -c names one)")
    .argument('<pod>', 'the pod')
    .option('-c, --container <name>', 'the container (required when the pod has several)')
    .option('-f, --follow', 'keep streaming new output until interrupted')
    .option('--tail <lines>', 'only the last N lines (-1: all)', parseTail)
    .option('--timestamps', 'prefix every line with its RFC 3339 timestamp')
    .option('-p, --previous', 'the output of the previous, terminated instance of the container')
    .option('--since <duration>', 'only output newer than this, e.g. 5s, 2m, 1h')
    .action(async (pod: string, opts: LogsOptions, cmd: Command) => {
      const globals = globalsOf(cmd);
      const req = logsRequest(namespaceOf(globals), pod, opts);
      const streams = streamsOf(ctx, globals);
      const abort = new AbortController();
      const off = ctx.io.onInterrupt(() => abort.abort());
      try {
        // As kubectl: the container's stdout and stderr both go to stdout, in order.
        const text = new StringDecoder('utf8');
        await streams.logs(req, (c) => ctx.io.stdout(text.write(c.data)), abort.signal);
        const rest = text.end();
        if (rest) ctx.io.stdout(rest);
      } finally {
        off();
        streams.close();
      }
    });
}
