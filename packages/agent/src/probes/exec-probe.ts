import type { ContainerRuntime } from '../runtime/container-runtime';
import { ExecTimeoutError } from '../runtime/errors';
import type { ProbeOutcome } from './probe-outcome';

/** Runs the command in the container: exit 0 is success, anything else a failure. */
export async function execProbe(
  runtime: ContainerRuntime,
  containerId: string,
  command: readonly string[],
  timeoutMs: number,
): Promise<ProbeOutcome> {
  if (command.length === 0) return { ok: false, message: 'exec: no command' };
  try {
    const r = await runtime.execProbe(containerId, command, timeoutMs);
    if (r.exitCode === 0) return { ok: true, message: r.output };
    const output = r.output.trim();
    return { ok: false, message: `command ${JSON.stringify(command)} exited with ${r.exitCode}${output ? `: ${output}` : ''}` };
  } catch (err) {
    if (err instanceof ExecTimeoutError) return { ok: false, message: `command ${JSON.stringify(command)} timed out after ${timeoutMs / 1000}s` };
    return { ok: false, message: (err as Error).message };
  }
}
