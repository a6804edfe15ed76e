import type { Pod } from '@orchard/api';
import { fitErrorMessage, NO_NODES_AVAILABLE } from './fit-error';
import type { AnyFilterPlugin, AnyScorePlugin, CycleContext } from './plugin';
import { SKIP } from './plugin';
import type { Profile } from './profiles';
import type { Status } from './status';
import { numFeasibleNodesToFind, profileFor, PROFILES } from './profiles';
import type { Random } from './random';
import { hashString, seededRandom } from './random';
import type { ClusterSnapshot, NodeInfo, Placement } from './types';

/** How to place one pod; every field is optional. */
export interface PlacementOptions {
  /** A profile or its name; by default the one the pod names in spec.schedulerName. */
  readonly profile?: Profile | string;
  /**
   * Mixed into the tie-break seed, which is otherwise derived from the pod's identity: the
   * same pod, snapshot and seed always give the same placement, so one can be replayed.
   */
  readonly seed?: number;
  /** Replaces the seeded generator altogether (tests). */
  readonly random?: Random;
  /**
   * Overrides the profile's percentageOfNodesToScore (see Profile), e.g. from a flag of
   * orchard-master: lower examines fewer nodes of a large cluster per pod, so places faster.
   */
  readonly percentageOfNodesToScore?: number;
}

// Scratch buffers reused from cycle to cycle: findPlacement is synchronous, so one set
// suffices, and the per-node loop then allocates nothing for nodes that fit.
let feasible = new Int32Array(0);
let totals = new Float64Array(0);
let scores = new Float64Array(0);
// Rejections are noted by position and turned into the node -> reasons map only when no node
// fits: a placement that succeeds never needs them.
let rejectedIndex = new Int32Array(0);
const rejectedStatus: Status[] = [];

function ensureCapacity(n: number): void {
  if (feasible.length >= n) return;
  const size = Math.max(n, feasible.length * 2, 64);
  feasible = new Int32Array(size);
  totals = new Float64Array(size);
  scores = new Float64Array(size);
  rejectedIndex = new Int32Array(size);
}

/**
 * Chooses a node for the pod, or explains why none fits. Filters run per node in profile
 * order and a node stops at its first failure, whose reasons are recorded (never thrown);
 * feasible nodes are scored, the weighted sums compared, and ties broken by a generator seeded
 * from the pod, so a placement can be replayed from the same snapshot.
 *
 * Never throws: a plugin that fails becomes a failed placement naming it. Changes neither the
 * pod nor the snapshot (per-node values derived from the snapshot are cached, see NodeColumn).
 */
export function findPlacement(pod: Pod, snapshot: ClusterSnapshot, options: PlacementOptions = {}): Placement {
  const profile = resolveProfile(pod, options.profile);
  if (!profile) {
    const known = [...PROFILES.keys()].join(', ');
    return { ok: false, message: `unknown scheduler profile "${String(options.profile)}" (known: ${known})`, rejected: new Map() };
  }
  const nodes = snapshot.nodes;
  const n = nodes.length;
  if (n === 0) return { ok: false, message: NO_NODES_AVAILABLE, rejected: new Map() };

  const ctx: CycleContext = { snapshot };
  const meta = pod.metadata;
  const random =
    options.random ??
    seededRandom(hashString(`${meta?.namespace ?? ''}/${meta?.name ?? ''}/${meta?.uid ?? ''}`, (options.seed ?? 0) ^ 0x811c9dc5));

  // PreFilter: once per cycle; plugins with nothing to check for this pod drop out here.
  const filters: AnyFilterPlugin[] = [];
  const filterStates: unknown[] = [];
  for (const plugin of profile.filters) {
    let state: unknown;
    try {
      state = plugin.preFilter ? plugin.preFilter(pod, ctx) : undefined;
    } catch (err) {
      return pluginError('PreFilter', plugin.name, err);
    }
    if (state === SKIP) continue;
    filters.push(plugin);
    filterStates.push(state);
  }

  // Filter: start at a seeded offset so that, when the search stops early, every part of a
  // large cluster gets its turn (Kubernetes rotates a start index for the same reason).
  ensureCapacity(n);
  const wanted = numFeasibleNodesToFind(options.percentageOfNodesToScore ?? profile.percentageOfNodesToScore, n);
  const start = wanted < n ? Math.floor(random() * n) : 0;
  const numFilters = filters.length;
  let count = 0;
  let numRejected = 0;
  let f = 0;
  try {
    for (let k = 0; k < n && count < wanted; k++) {
      const index = start + k < n ? start + k : start + k - n;
      const nodeInfo = nodes[index]!;
      let fits = true;
      for (f = 0; f < numFilters; f++) {
        const status = filters[f]!.filter(filterStates[f], pod, nodeInfo, index);
        if (status.code !== 'Success') {
          rejectedIndex[numRejected] = index;
          rejectedStatus[numRejected++] = status;
          fits = false;
          break;
        }
      }
      if (fits) feasible[count++] = index;
    }
  } catch (err) {
    rejectedStatus.length = 0;
    return pluginError('Filter', filters[f]!.name, err);
  }
  if (count === 0) {
    const rejected = new Map<string, readonly string[]>();
    for (let r = 0; r < numRejected; r++) {
      rejected.set(nodes[rejectedIndex[r]!]!.node.metadata?.name ?? '', rejectedStatus[r]!.reasons);
    }
    rejectedStatus.length = 0;
    return { ok: false, message: fitErrorMessage(n, rejected), rejected };
  }
  // Drop the statuses noted this cycle so they are not kept alive until the next one.
  rejectedStatus.length = 0;

  // Score: each plugin over every feasible node, normalized, then weighted into the totals.
  const sums = totals;
  sums.fill(0, 0, count);
  const weighted = profile.scores;
  for (let w = 0; w < weighted.length; w++) {
    const { plugin, weight } = weighted[w]!;
    let state: unknown;
    try {
      state = plugin.preScore ? plugin.preScore(pod, ctx) : undefined;
    } catch (err) {
      return pluginError('PreScore', plugin.name, err);
    }
    // Nothing to prefer for this pod: the plugin would score every node alike.
    if (state === SKIP) continue;
    try {
      scoreNodes(plugin, state, pod, nodes, count);
    } catch (err) {
      return pluginError('Score', plugin.name, err);
    }
    const s = scores;
    for (let i = 0; i < count; i++) sums[i] += weight * s[i]!;
  }

  // Select: highest total; equal totals share the win through reservoir sampling so each
  // tied node is equally likely, as in Kubernetes' selectHost.
  let best = -Infinity;
  let chosen = 0;
  let ties = 0;
  for (let i = 0; i < count; i++) {
    const t = sums[i]!;
    if (t > best) {
      best = t;
      chosen = i;
      ties = 1;
    } else if (t === best) {
      ties++;
      if (Math.floor(random() * ties) === 0) chosen = i;
    }
  }
  return { ok: true, nodeName: nodes[feasible[chosen]!]!.node.metadata?.name ?? '', score: best };
}

/** Fills `scores` for the first `count` feasible nodes, normalized to 0..100. */
function scoreNodes(plugin: AnyScorePlugin, state: unknown, pod: Pod, nodes: readonly NodeInfo[], count: number): void {
  const out = scores;
  const which = feasible;
  for (let i = 0; i < count; i++) {
    const index = which[i]!;
    out[i] = plugin.score(state, pod, nodes[index]!, index);
  }
  plugin.normalize?.(state, out, count);
}

function resolveProfile(pod: Pod, profile: Profile | string | undefined): Profile | undefined {
  if (profile === undefined) return profileFor(pod.spec?.schedulerName);
  return typeof profile === 'string' ? PROFILES.get(profile) : profile;
}

// A plugin that throws is a bug, not a verdict on the nodes; it still becomes an answer
// rather than an exception so the scheduling loop records it and moves on.
function pluginError(point: string, name: string, err: unknown): Placement {
  const detail = err instanceof Error ? err.message : String(err);
  return { ok: false, message: `running ${point} plugin "${name}": ${detail}`, rejected: new Map() };
}
