import type { Taint, Toleration } from '@orchard/api';

/**
 * Kubernetes' Toleration.ToleratesTaint: an empty effect tolerates every effect, an empty key
 * with operator Exists tolerates every taint, Equal (the default operator) also compares the
 * value.
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect !== '' && t.effect !== taint.effect) return false;
  if (t.key !== '' && t.key !== taint.key) return false;
  switch (t.operator) {
    case 'Exists':
      return true;
    case '':
    case 'Equal':
      return t.value === taint.value;
    default:
      return false;
  }
}

/** True when any of the tolerations tolerates the taint. */
export function anyToleratesTaint(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (let i = 0; i < tolerations.length; i++) if (toleratesTaint(tolerations[i]!, taint)) return true;
  return false;
}
