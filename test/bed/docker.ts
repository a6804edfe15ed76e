import { exec, run, type ExecOptions, type ExecResult } from './exec';

/**
 * A Docker engine the bed talks to through the docker CLI: the host's own engine
 * (socket undefined) or a simulated node's dockerd (its unix socket).
 */
export interface Engine {
  /** Path of the engine's unix socket; undefined means the host's default engine. */
  socket?: string;
}

export const hostEngine: Engine = {};

function hostArgs(engine: Engine): string[] {
  return engine.socket ? ['-H', `unix://${engine.socket}`] : [];
}

/** Runs `docker ARGS` against the engine; never throws for a non-zero exit. */
export function docker(engine: Engine, args: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
  return exec('docker', [...hostArgs(engine), ...args], { timeoutMs: 120_000, ...opts });
}

/** Runs `docker ARGS` against the engine and returns stdout; throws on failure. */
export function dockerOk(engine: Engine, args: readonly string[], opts?: ExecOptions): Promise<string> {
  return run('docker', [...hostArgs(engine), ...args], { timeoutMs: 120_000, ...opts });
}

/** The shell words that address the engine, for pipelines run with sh(). */
export function dockerShellWords(engine: Engine): string {
  return engine.socket ? `docker -H 'unix://${engine.socket}'` : 'docker';
}

/** What the bed needs to know about one container. */
export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  running: boolean;
  status: string;
  startedAt: string;
  restartCount: number;
  labels: Record<string, string>;
  ipAddress: string;
}

/**
 * Lists the containers (running or not) carrying a label, e.g. every container Orchard
 * made for one pod (`io.orchard.pod.name=web`). Inspects each, for start time and state.
 */
export async function containersWithLabel(engine: Engine, label: string): Promise<ContainerInfo[]> {
  const ids = (await dockerOk(engine, ['ps', '-a', '-q', '--no-trunc', '--filter', `label=${label}`]))
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) return [];
  const r = await docker(engine, ['inspect', ...ids]);
  // A container removed between ps and inspect makes inspect fail for it alone; retry once
  // with what still exists rather than failing the caller.
  if (r.code !== 0) return containersWithLabel(engine, label);
  const raw = JSON.parse(r.stdout) as Array<Record<string, any>>;
  return raw.map((c) => ({
    id: String(c.Id),
    name: String(c.Name).replace(/^\//, ''),
    image: String(c.Config?.Image ?? ''),
    running: Boolean(c.State?.Running),
    status: String(c.State?.Status ?? ''),
    startedAt: String(c.State?.StartedAt ?? ''),
    restartCount: Number(c.RestartCount ?? 0),
    labels: (c.Config?.Labels ?? {}) as Record<string, string>,
    ipAddress: String(
      c.NetworkSettings?.IPAddress ||
        Object.values((c.NetworkSettings?.Networks ?? {}) as Record<string, { IPAddress?: string }>)[0]?.IPAddress ||
        '',
    ),
  }));
}
