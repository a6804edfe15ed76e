import type { LabelSelector } from '@orchard/api';

/** Labels as objects carry them. */
export type LabelMap = Readonly<Record<string, string>> | undefined;

/** A selector compiled once per cycle, then matched against many pods without allocating. */
export type LabelMatcher = (labels: LabelMap) => boolean;

const NOTHING: LabelMatcher = () => false;
const EVERYTHING: LabelMatcher = () => true;

/**
 * Compiles a LabelSelector with the semantics of labelSelectorMatches (@orchard/api): an
 * absent selector matches nothing, an empty one everything, an unknown operator nothing.
 * labelSelectorMatches walks Object.entries on every call; a scheduling cycle may match one
 * selector against every pod of the cluster, so the entries are taken once here.
 */
export function compileLabelSelector(sel: LabelSelector | undefined): LabelMatcher {
  if (!sel) return NOTHING;
  const keys: string[] = [];
  const values: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    keys.push(k);
    values.push(v);
  }
  const exprs = sel.matchExpressions ?? [];
  for (const e of exprs) {
    if (e.operator !== 'In' && e.operator !== 'NotIn' && e.operator !== 'Exists' && e.operator !== 'DoesNotExist') {
      return NOTHING;
    }
  }
  if (keys.length === 0 && exprs.length === 0) return EVERYTHING;
  return (labels) => {
    const l = labels ?? {};
    for (let i = 0; i < keys.length; i++) if (l[keys[i]!] !== values[i] || !Object.hasOwn(l, keys[i]!)) return false;
    for (let i = 0; i < exprs.length; i++) {
      const e = exprs[i]!;
      const has = Object.hasOwn(l, e.key);
      switch (e.operator) {
        case 'In':
          if (!has || !e.values.includes(l[e.key]!)) return false;
          break;
        case 'NotIn':
          if (has && e.values.includes(l[e.key]!)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        default:
          if (has) return false;
      }
    }
    return true;
  };
}
