import { exec, type ExecResult } from './exec';
import { distMain } from './processes';

export { waitFor, sleep } from './wait';
export type { ExecResult } from './exec';

export interface CliOptions {
  /** Text for stdin (for `apply -f -`). */
  input?: string;
  /** Kills the CLI after this many ms (default 30 s): a hung CLI fails the test, not the run. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs the built `orchard` CLI against `server` (via ORCHARD_SERVER) and returns its result. */
export function orchard(server: string, args: readonly string[], opts: CliOptions = {}): Promise<ExecResult> {
  return exec(process.execPath, [distMain('cli'), ...args], {
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 30_000,
    env: { ...process.env, ORCHARD_SERVER: server, ...opts.env },
  });
}

/** A CLI bound to one server list. */
export type Cli = (args: readonly string[], opts?: CliOptions) => Promise<ExecResult>;

export function cliFor(server: string): Cli {
  return (args, opts) => orchard(server, args, opts);
}

/** Formats a CLI result for assertion messages. */
export function describeResult(args: readonly string[], r: ExecResult): string {
  return `orchard ${args.join(' ')} -> exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** Runs the CLI and throws (with its output) unless it exits 0; returns stdout. */
export async function orchardOk(cli: Cli, args: readonly string[], opts?: CliOptions): Promise<string> {
  const r = await cli(args, opts);
  if (r.code !== 0) throw new Error(describeResult(args, r));
  return r.stdout;
}

/** One row of a kubectl-like table, keyed by column header. */
export type TableRow = Record<string, string>;

/**
 * Parses a kubectl-like table (header line, columns separated by two or more spaces,
 * values themselves without double spaces) into rows keyed by header.
 */
export function parseTable(text: string): TableRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0];
  // Column starts are where the header's words start.
  const starts: number[] = [];
  const names: string[] = [];
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    starts.push(m.index);
    names.push(m[0]);
  }
  return lines.slice(1).map((line) => {
    const row: TableRow = {};
    names.forEach((n, i) => {
      const end = i + 1 < starts.length ? starts[i + 1] : line.length;
      row[n] = line.slice(starts[i], end).trim();
    });
    return row;
  });
}

/** `orchard get pods -o json`-style output: a single object or a List of them. */
export function itemsOf(json: string): Array<Record<string, any>> {
  const v = JSON.parse(json) as Record<string, any>;
  return Array.isArray(v.items) ? v.items : [v];
}
