import type { Pod, PodAffinityTerm } from '@orchard/api';
import { compileLabelSelector, type LabelMatcher } from '../../framework/label-selector';
import type { CycleContext, FilterPlugin } from '../../framework/plugin';
import { SKIP } from '../../framework/plugin';
import type { ColumnTable } from '../../framework/node-column';
import { NodeColumn } from '../../framework/node-column';
import { PodCounter } from '../../framework/pod-counter';
import { SUCCESS, unschedulable } from '../../framework/status';
import { topologyColumn, topologyValue } from '../../framework/topology';
import type { NodeInfo } from '../../framework/types';

export const Name = 'InterPodAffinity';

/** Kubernetes' reasons, one per rule that can fail. */
export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

const AFFINITY = unschedulable(ErrReasonAffinityRulesNotMatch);
const ANTI_AFFINITY = unschedulable(ErrReasonAntiAffinityRulesNotMatch);
const EXISTING_ANTI_AFFINITY = unschedulable(ErrReasonExistingAntiAffinityRulesNotMatch);

/** A term compiled for the cycle: which pods it selects and over which topology. */
interface CompiledTerm {
  readonly topologyKey: string;
  readonly namespaces: readonly string[];
  readonly matches: LabelMatcher;
}

function compileTerm(term: PodAffinityTerm, ownNamespace: string): CompiledTerm {
  return {
    topologyKey: term.topologyKey,
    // An empty list means the namespace of the pod that carries the term.
    namespaces: term.namespaces.length > 0 ? term.namespaces : [ownNamespace],
    matches: compileLabelSelector(term.labelSelector),
  };
}

function selects(term: CompiledTerm, pod: Pod): boolean {
  return term.namespaces.includes(pod.metadata?.namespace ?? '') && term.matches(pod.metadata?.labels);
}

/**
 * Per node: the existing pods' required anti-affinity terms (usually none). A pod being
 * deleted keeps nobody away, as it counts for no selector either (see PodCounter).
 */
const EXISTING_ANTI_TERMS = new NodeColumn((nodeInfo) => {
  const out: CompiledTerm[] = [];
  for (const pod of nodeInfo.pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    for (const t of pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      out.push(compileTerm(t, pod.metadata?.namespace ?? ''));
    }
  }
  return out;
}, (terms) => terms.length > 0);

/** A topology key's domain per node, for this cycle's nodes. */
type Domains = ColumnTable<string | undefined>;

/** Domains (topology values) per term, computed once per cycle over every pod of the cluster. */
export interface InterPodAffinityState {
  /** The pod's anti-affinity: domains that already hold a selected pod. */
  readonly anti: readonly { readonly domains: Domains; readonly taken: ReadonlySet<string> }[];
  /** The pod's affinity: domains that hold a selected pod, or null when any domain will do. */
  readonly affinity: readonly { readonly domains: Domains; readonly allowed: ReadonlySet<string> | null }[];
  /** Existing pods' anti-affinity that selects this pod: forbidden domains per topology key. */
  readonly existing: readonly { readonly domains: Domains; readonly forbidden: ReadonlySet<string> }[];
}

function domainsSelecting(term: PodAffinityTerm, ownNamespace: string, nodes: readonly NodeInfo[]): Set<string> {
  const namespaces = term.namespaces.length > 0 ? term.namespaces : [ownNamespace];
  const counter = new PodCounter(term.labelSelector, namespaces, nodes);
  const domains = topologyColumn(term.topologyKey).of(nodes);
  const out = new Set<string>();
  for (let i = 0; i < nodes.length; i++) {
    const ni = nodes[i]!;
    const value = domains.get(i, ni);
    if (value === undefined || out.has(value)) continue;
    if (counter.count(i, ni) > 0) out.add(value);
  }
  return out;
}

function preFilter(pod: Pod, ctx: CycleContext): InterPodAffinityState | typeof SKIP {
  const nodes = ctx.snapshot.nodes;
  const ns = pod.metadata?.namespace ?? '';
  const existing = new Map<string, Set<string>>();
  const existingTerms = EXISTING_ANTI_TERMS.of(nodes);
  // Only the few nodes running pods with anti-affinity are visited.
  for (const i of existingTerms.notableIn(nodes)) {
    if (i >= nodes.length) continue;
    const ni = nodes[i]!;
    const terms = existingTerms.get(i, ni);
    for (let t = 0; t < terms.length; t++) {
      const term = terms[t]!;
      if (!selects(term, pod)) continue;
      const value = topologyValue(ni.node, term.topologyKey);
      if (value === undefined) continue;
      let set = existing.get(term.topologyKey);
      if (!set) existing.set(term.topologyKey, (set = new Set()));
      set.add(value);
    }
  }
  const affinity = pod.spec?.affinity;
  const antiTerms = affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const affTerms = affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  if (existing.size === 0 && antiTerms.length === 0 && affTerms.length === 0) return SKIP;

  const domainsOf = (key: string) => topologyColumn(key).of(nodes);
  const anti = antiTerms.map((t) => ({ domains: domainsOf(t.topologyKey), taken: domainsSelecting(t, ns, nodes) }));
  // Kubernetes lets the first pod of a group in when nothing matches its affinity yet but it
  // would match itself; otherwise a group with self-affinity could never start.
  const selected = affTerms.map((t) => domainsSelecting(t, ns, nodes));
  const firstOfGroup = selected.every((d) => d.size === 0) && affTerms.every((t) => selects(compileTerm(t, ns), pod));
  const aff = affTerms.map((t, i) => ({ domains: domainsOf(t.topologyKey), allowed: firstOfGroup ? null : selected[i]! }));
  return {
    anti,
    affinity: aff,
    existing: [...existing].map(([key, forbidden]) => ({ domains: domainsOf(key), forbidden })),
  };
}

/**
 * Required pod affinity and anti-affinity, both ways: the pod's own rules against the pods
 * already placed, and the placed pods' anti-affinity against the pod. Any topology key works;
 * kubernetes.io/hostname (one domain per node) is what Pi clusters mostly use.
 */
export function interPodAffinity(): FilterPlugin<InterPodAffinityState> {
  return {
    name: Name,
    preFilter,
    // Kubernetes' order (its Filter): the pod's affinity, its anti-affinity, then the existing
    // pods' anti-affinity; the first that fails is the reason the message counts.
    filter: (state, _pod, nodeInfo, index) => {
      for (let i = 0; i < state.affinity.length; i++) {
        const a = state.affinity[i]!;
        const value = a.domains.get(index, nodeInfo);
        if (value === undefined || (a.allowed !== null && !a.allowed.has(value))) return AFFINITY;
      }
      for (let i = 0; i < state.anti.length; i++) {
        const a = state.anti[i]!;
        const value = a.domains.get(index, nodeInfo);
        if (value !== undefined && a.taken.has(value)) return ANTI_AFFINITY;
      }
      for (let i = 0; i < state.existing.length; i++) {
        const e = state.existing[i]!;
        const value = e.domains.get(index, nodeInfo);
        if (value !== undefined && e.forbidden.has(value)) return EXISTING_ANTI_AFFINITY;
      }
      return SUCCESS;
    },
  };
}
