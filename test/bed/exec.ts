import { spawn } from 'node:child_process';

/** What a finished command left behind. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Milliseconds before the command is killed (SIGKILL); the result then has code -1. */
  timeoutMs?: number;
}

/**
 * Runs a command to completion without a shell and returns its exit code and output.
 * Never throws for a non-zero exit: callers decide what a failure means.
 */
export function exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`failed to run ${file}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      let stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) stderr += `\n[bed] ${file} killed after ${opts.timeoutMs} ms`;
      else if (signal) stderr += `\n[bed] ${file} ended by ${signal}`;
      resolve({ code: timedOut || code === null ? -1 : code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    // A command that does not read stdin may close it early; that is not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Like exec, but throws (with the command and its stderr) unless the exit code is 0. */
export async function run(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const r = await exec(file, args, opts);
  if (r.code !== 0) {
    throw new Error(`${[file, ...args].join(' ')} exited with ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** Runs a shell pipeline with bash (for the few steps that need one, e.g. save | load). */
export function sh(script: string, opts: ExecOptions = {}): Promise<string> {
  return run('bash', ['-o', 'pipefail', '-c', script], opts);
}
