import { Command } from 'commander';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  DeleteRequest,
  GetRequest,
  ListRequest,
  kindOf,
  metaOf,
  type KindInfo,
  type OrchardError,
} from '@orchard/api';
import type { ClusterApi } from '../client';
import { CommandErrors, globalsOf, namespaceOf, withCluster, type Context, type GlobalOptions } from '../context';
import { parseDuration } from '../duration';
import { decodeSources, readSources } from '../manifests';
import { collect } from './apply';
import { parseResourceArgs } from './resource-args';

interface DeleteOptions {
  filename: string[];
  recursive?: boolean;
  gracePeriod: number;
  force?: boolean;
  wait: boolean;
  timeout: string;
  ignoreNotFound?: boolean;
  selector?: string;
}

/** One object to delete. */
export interface Target {
  kind: KindInfo;
  namespace: string;
  name: string;
}

export const FORCE_WARNING =
  'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. ' +
  'The resource may continue to run on the cluster indefinitely.\n';

/** `orchard delete KIND NAME...`, `orchard delete -f FILE`: deletes, then waits until the objects are gone. */
export function deleteCommand(ctx: Context): Command {
  return new Command('delete')
    .description('Delete resources by kind and names, by label selector, or by the files that define them')
    .argument('[resource...]', 'KIND NAME... or KIND/NAME...')
    .option('-f, --filename <path>', 'file, directory or - naming the objects to delete (repeatable)', collect, [])
    .option('-R, --recursive', 'process directories given with -f recursively')
    .option('-l, --selector <selector>', 'delete the objects of KIND matching this label selector')
    .option('--grace-period <seconds>', 'seconds a pod gets to stop; -1 uses the pod\'s own (0 only with --force)', toInt, -1)
    .option('--force', 'delete at once, without waiting for the node to confirm (grace period 0)')
    .option('--wait [bool]', 'wait until the objects are gone', toBool, true)
    .option('--timeout <duration>', 'how long to wait for the objects to be gone', '60s')
    .option('--ignore-not-found', 'treat a missing object as deleted')
    .action(async (args: string[], opts: DeleteOptions, cmd: Command) => {
      await runDelete(ctx, globalsOf(cmd), args, opts);
    });
}

function toInt(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new Error(`invalid number "${v}"`);
  return Number(v);
}

/** `--wait`, `--wait=true`, `--wait=false` as kubectl takes them. */
export function toBool(v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`invalid boolean "${v}": use true or false`);
}

/**
 * The grace period to send, with kubectl's rules: --force means 0; 0 without --force
 * becomes 1 (a graceful stop is still asked for); -1 leaves it to the pod.
 */
export function effectiveGrace(gracePeriod: number, force: boolean): number | undefined {
  if (force) {
    if (gracePeriod > 0) throw new Error('--force and --grace-period greater than 0 cannot be specified together');
    return 0;
  }
  if (gracePeriod < 0) return undefined;
  return gracePeriod === 0 ? 1 : gracePeriod;
}

async function runDelete(ctx: Context, globals: GlobalOptions, args: string[], opts: DeleteOptions): Promise<void> {
  const grace = effectiveGrace(opts.gracePeriod, opts.force ?? false);
  const timeoutMs = parseDuration(opts.timeout);
  const ns = namespaceOf(globals);
  if (opts.force) ctx.io.stderr(FORCE_WARNING);
  await withCluster(ctx, globals, async (c) => {
    const targets = await resolveTargets(ctx, c, args, opts, ns);
    const errors: string[] = [];
    const deleted: Target[] = [];
    for (const t of targets) {
      try {
        await c.delete(DeleteRequest.fromPartial({ kind: t.kind.plural, namespace: t.namespace, name: t.name, gracePeriodSeconds: grace }));
        ctx.io.stdout(`${t.kind.singular} "${t.name}" deleted\n`);
        deleted.push(t);
      } catch (err) {
        if (isNotFound(err) && opts.ignoreNotFound) continue;
        errors.push((err as Error).message);
      }
    }
    if (opts.wait && grace !== 0) {
      const results = await Promise.allSettled(deleted.map((t) => waitGone(ctx, c, t, timeoutMs)));
      for (const r of results) if (r.status === 'rejected') errors.push((r.reason as Error).message);
    }
    if (errors.length > 0) throw new CommandErrors(errors);
  });
}

function isNotFound(err: unknown): boolean {
  return (err as OrchardError).code === GrpcStatus.NOT_FOUND;
}

async function resolveTargets(ctx: Context, c: ClusterApi, args: string[], opts: DeleteOptions, ns: string): Promise<Target[]> {
  if (opts.filename.length > 0) {
    if (args.length > 0) throw new Error('when -f is given, no resource names may be given as arguments');
    const { objects, problems } = decodeSources(await readSources(ctx.io, opts.filename, opts.recursive ?? false));
    if (problems.length > 0) throw new CommandErrors(problems);
    return objects.map((o) => {
      const kind = kindOf(o);
      return { kind, namespace: kind.namespaced ? metaOf(o).namespace || ns : '', name: metaOf(o).name };
    });
  }
  const { kind, names } = parseResourceArgs(args, 'delete');
  if (opts.selector !== undefined) {
    if (names.length > 0) throw new Error('names and --selector cannot be given together');
    const res = await c.list(ListRequest.fromPartial({ kind: kind.plural, namespace: ns, labelSelector: opts.selector }));
    if (res.items.length === 0) ctx.io.stderr(kind.namespaced ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
    return res.items.map((o) => ({ kind, namespace: metaOf(o).namespace, name: metaOf(o).name }));
  }
  if (names.length === 0) throw new Error(`resource(s) were provided, but no name was specified`);
  return names.map((name) => ({ kind, namespace: kind.namespaced ? ns : '', name }));
}

/** Polls until the object is gone (NotFound), with a growing interval capped at one second. */
async function waitGone(ctx: Context, c: ClusterApi, t: Target, timeoutMs: number): Promise<void> {
  const deadline = ctx.io.now() + timeoutMs;
  let interval = 100;
  for (;;) {
    try {
      await c.get(GetRequest.fromPartial({ kind: t.kind.plural, namespace: t.namespace, name: t.name }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (ctx.io.now() >= deadline) throw new Error(`timed out waiting for the condition on ${t.kind.plural}/${t.name}`);
    await ctx.io.sleep(Math.min(interval, Math.max(0, deadline - ctx.io.now())));
    interval = Math.min(interval * 2, 1000);
  }
}
