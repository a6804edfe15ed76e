import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from '@orchard/api';

/** A node predicate compiled once per cycle from a pod's nodeSelector and node affinity. */
export type NodeMatcher = (node: Node) => boolean;

/** The only field Kubernetes lets matchFields select on. */
const FIELD_NAME = 'metadata.name';

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // Kubernetes compares integers and matches nothing when either side is not one.
      if (value === undefined || r.values.length !== 1) return false;
      const have = parseInteger(value);
      const bound = parseInteger(r.values[0]!);
      if (have === undefined || bound === undefined) return false;
      return r.operator === 'Gt' ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

function parseInteger(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/**
 * Kubernetes' term semantics: every requirement of a term must hold (AND), and a term with no
 * requirement at all matches nothing.
 */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (let i = 0; i < exprs.length; i++) {
    const r = exprs[i]!;
    if (!requirementMatches(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined)) return false;
  }
  for (let i = 0; i < fields.length; i++) {
    const r = fields[i]!;
    if (!requirementMatches(r, r.key === FIELD_NAME ? node.metadata?.name : undefined)) return false;
  }
  return true;
}

/**
 * The pod's hard node constraints as one predicate: every nodeSelector entry must equal the
 * node's label, and when required node affinity is given at least one of its terms (OR) must
 * match. Undefined when the pod has neither, so callers can skip the check entirely.
 */
export function requiredNodeMatcher(pod: Pod): NodeMatcher | undefined {
  const selector = Object.entries(pod.spec?.nodeSelector ?? {});
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (selector.length === 0 && !required) return undefined;
  const terms = required?.nodeSelectorTerms ?? [];
  return (node) => {
    const labels = node.metadata?.labels ?? {};
    for (let i = 0; i < selector.length; i++) {
      const [k, v] = selector[i]!;
      if (labels[k] !== v || !Object.hasOwn(labels, k)) return false;
    }
    if (!required) return true;
    for (let i = 0; i < terms.length; i++) if (termMatches(terms[i]!, node)) return true;
    return false;
  };
}
