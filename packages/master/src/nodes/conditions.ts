import { Condition } from '@orchard/api';

/**
 * Returns `conditions` with `next` in place of the condition of its type. The transition
 * time only moves when the status changes, as in Kubernetes; unset times are kept from
 * the old condition.
 */
export function setCondition(conditions: readonly Condition[], next: Partial<Condition> & { type: string; status: string }, now: string): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const merged = Condition.fromPartial({
    ...old,
    ...next,
    lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime || now : now,
  });
  // In place, so that an unchanged condition list encodes to the same bytes.
  return old ? conditions.map((c) => (c === old ? merged : c)) : [...conditions, merged];
}

/** The condition of a type, if present. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
