import { hostFs, type ReadOnlyFs } from '../stats/read-only-fs';
import { failed, type CheckFailure, type CheckResult } from './check';
import { checkDockerSocket, DOCKER_SOCKET_CHECK } from './docker-socket-check';
import { unixSocketDockerProbe, type DockerProbe } from './docker-probe';
import { checkMemoryCgroup, MEMORY_CGROUP_CHECK } from './memory-cgroup-check';

export interface PreflightConfig {
  /** The Docker engine's socket: a path or unix:// URL (--docker-socket). */
  dockerSocket: string;
  /** How long Docker may take to answer /_ping. Default 5 s. */
  dockerTimeoutMs?: number;
}

export interface PreflightDeps {
  fs: ReadOnlyFs;
  docker: DockerProbe;
}

/** The host's filesystem and Docker socket. */
export function hostPreflightDeps(): PreflightDeps {
  return { fs: hostFs(), docker: unixSocketDockerProbe };
}

export interface PreflightReport {
  ok: boolean;
  /** Every check, in order. */
  results: CheckResult[];
  /** The checks that failed, so the agent can print them all at once. */
  failures: CheckFailure[];
}

/** A check that throws is a failed check, not a crash: the rest still run. */
async function guarded(name: string, check: () => CheckResult | Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check();
  } catch (err) {
    return failed(name, `the ${name} check could not run: ${(err as Error).message ?? String(err)}`);
  }
}

/**
 * Runs every check the agent needs before it starts: all of them, so that one run lists
 * everything to fix, not the first thing only.
 */
export async function runPreflight(config: PreflightConfig, deps: PreflightDeps): Promise<PreflightReport> {
  const results = await Promise.all([
    guarded(MEMORY_CGROUP_CHECK, () => checkMemoryCgroup(deps.fs)),
    guarded(DOCKER_SOCKET_CHECK, () => checkDockerSocket(deps.docker, config.dockerSocket, config.dockerTimeoutMs ?? 5000)),
  ]);
  const failures = results.filter((r): r is CheckFailure => !r.ok);
  return { ok: failures.length === 0, results, failures };
}

/** The failures as lines to print before exiting non-zero. */
export function formatPreflightFailures(report: PreflightReport): string {
  if (report.ok) return '';
  return [
    `orchard-agent cannot start: ${report.failures.length} preflight check(s) failed`,
    ...report.failures.map((f) => `  - ${f.name}: ${f.message}`),
  ].join('\n');
}
