import { Command } from 'commander';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  ApplyRequest,
  DeleteRequest,
  GetRequest,
  ListRequest,
  ObjectMeta,
  cloneObject,
  metaOf,
  type ApiObject,
  type OrchardError,
} from '@orchard/api';
import type { ClusterApi } from '../client';
import { CommandErrors, globalsOf, withCluster, type Context } from '../context';
import { parseDuration } from '../duration';
import { setUnschedulable } from './cordon';

/** Set by the master on pods created with spec.nodeName; a moved pod is no longer pinned. */
const PINNED_NODE_ANNOTATION = 'orchard.io/pinned-node';

interface DrainOptions {
  ignoreDaemonsets?: boolean;
  force?: boolean;
  gracePeriod: number;
  timeout: string;
}

/** What drain does with one pod of the node. */
type Plan = 'reschedule' | 'delete' | 'skip';

/** kubectl's pod filters, in its words. @returns per pod the plan, and the refusals and warnings. */
export function planDrain(pods: readonly ApiObject[], opts: { force: boolean; ignoreDaemonsets: boolean }) {
  const plans = new Map<ApiObject, Plan>();
  const daemonSet: string[] = [];
  const bare: string[] = [];
  for (const p of pods) {
    const m = metaOf(p);
    const id = `${m.namespace}/${m.name}`;
    const controller = m.ownerReferences.find((r) => r.controller);
    if (m.deletionTimestamp) plans.set(p, 'skip');
    else if (controller?.kind === 'DaemonSet') {
      daemonSet.push(id);
      plans.set(p, 'skip');
    } else if (controller) plans.set(p, 'delete');
    else {
      bare.push(id);
      plans.set(p, 'reschedule');
    }
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  if (daemonSet.length > 0) {
    if (opts.ignoreDaemonsets) warnings.push(`ignoring DaemonSet-managed Pods: ${daemonSet.join(', ')}`);
    else errors.push(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemonSet.join(', ')}`);
  }
  if (bare.length > 0) {
    if (opts.force) warnings.push(`deleting Pods that declare no controller: ${bare.join(', ')}`);
    else errors.push(`cannot delete Pods that declare no controller (use --force to override): ${bare.join(', ')}`);
  }
  return { plans, errors, warnings };
}

/**
 * The pod as it is created again after its old copy is gone: same name, labels and spec,
 * not bound to any node (the scheduler places it), no server fields, no status.
 */
export function unboundCopy(pod: ApiObject): ApiObject {
  const copy = cloneObject(pod);
  const p = copy.resource?.$case === 'pod' ? copy.resource.pod : undefined;
  if (!p?.spec) throw new Error(`${metaOf(pod).name} is not a pod`);
  const m = metaOf(pod);
  const annotations = { ...m.annotations };
  delete annotations[PINNED_NODE_ANNOTATION];
  p.metadata = ObjectMeta.fromPartial({ name: m.name, namespace: m.namespace, labels: m.labels, annotations });
  p.spec.nodeName = '';
  p.status = undefined;
  return copy;
}

/**
 * `orchard drain NODE`: cordons the node, then moves every pod off it and waits until they
 * are gone; the node stays cordoned. A pod a controller owns is deleted (its controller
 * replaces it); a pod without one is refused unless --force, and then — Orchard's rule —
 * created again unbound once its old copy has stopped, so the scheduler places it elsewhere.
 */
export function drainCommand(ctx: Context): Command {
  return new Command('drain')
    .description('Drain a node for maintenance: cordon it, then move its pods elsewhere (the node stays cordoned)')
    .argument('<node>', 'node name')
    .option('--ignore-daemonsets', 'ignore DaemonSet-managed pods (they stay)')
    .option('--force', 'also move pods that declare no controller (Orchard creates them again elsewhere)')
    .option('--grace-period <seconds>', "seconds each pod gets to stop; -1 uses the pod's own", (v) => {
      if (!/^-?\d+$/.test(v)) throw new Error(`invalid number "${v}"`);
      return Number(v);
    }, -1)
    .option('--timeout <duration>', 'how long to wait for the pods to be gone; 0 waits forever', '0s')
    .action(async (node: string, opts: DrainOptions, cmd: Command) => {
      const timeoutMs = parseDuration(opts.timeout);
      await withCluster(ctx, globalsOf(cmd), (c) => runDrain(ctx, c, node, opts, timeoutMs));
    });
}

async function runDrain(ctx: Context, c: ClusterApi, node: string, opts: DrainOptions, timeoutMs: number): Promise<void> {
  ctx.io.stdout(`node/${node} ${await setUnschedulable(c, node, true)}\n`);
  const { items } = await c.list(ListRequest.fromPartial({ kind: 'pods', allNamespaces: true, fieldSelector: `spec.nodeName=${node}` }));
  const { plans, errors, warnings } = planDrain(items, { force: opts.force ?? false, ignoreDaemonsets: opts.ignoreDaemonsets ?? false });
  if (errors.length > 0) {
    const all = errors.join(', ');
    ctx.io.stderr(`error: unable to drain node "${node}" due to error: ${all}, continuing command...\nThere are pending nodes to be drained:\n ${node}\n`);
    throw new CommandErrors(errors);
  }
  for (const w of warnings) ctx.io.stderr(`Warning: ${w}\n`);
  const deadline = timeoutMs > 0 ? ctx.io.now() + timeoutMs : Infinity;
  const grace = opts.gracePeriod >= 0 ? opts.gracePeriod : undefined;
  const moves = [...plans.entries()].filter(([, plan]) => plan !== 'skip');
  const results = await Promise.allSettled(
    moves.map(async ([pod, plan]) => {
      const m = metaOf(pod);
      ctx.io.stdout(`evicting pod ${m.namespace}/${m.name}\n`);
      await c.delete(DeleteRequest.fromPartial({ kind: 'pods', namespace: m.namespace, name: m.name, gracePeriodSeconds: grace }));
      await waitPodGone(ctx, c, pod, deadline);
      if (plan === 'reschedule') await c.apply(ApplyRequest.fromPartial({ objects: [unboundCopy(pod)] }));
      ctx.io.stdout(`pod/${m.name} evicted\n`);
    }),
  );
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (failed.length > 0) {
    ctx.io.stderr(`There are pending pods in node "${node}" when an error occurred: ${failed.join('; ')}\n`);
    throw new CommandErrors([`unable to drain node "${node}": ${failed.length} pod(s) not moved`]);
  }
  ctx.io.stdout(`node/${node} drained\n`);
}

/** Polls until this pod (by uid) is gone: deleted, or replaced by another of the same name. */
async function waitPodGone(ctx: Context, c: ClusterApi, pod: ApiObject, deadline: number): Promise<void> {
  const m = metaOf(pod);
  let interval = 100;
  for (;;) {
    try {
      const now = await c.get(GetRequest.fromPartial({ kind: 'pods', namespace: m.namespace, name: m.name }));
      if (metaOf(now).uid !== m.uid) return;
    } catch (err) {
      if ((err as OrchardError).code === GrpcStatus.NOT_FOUND) return;
      throw err;
    }
    if (ctx.io.now() >= deadline) throw new Error(`global timeout reached waiting for pod ${m.namespace}/${m.name} to be gone`);
    await ctx.io.sleep(Math.min(interval, Math.max(0, deadline - ctx.io.now())));
    interval = Math.min(interval * 2, 1000);
  }
}
