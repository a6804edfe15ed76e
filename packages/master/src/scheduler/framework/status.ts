/**
 * The outcome of a filter for one node. Success is one shared object so that the per-node
 * loop allocates nothing for nodes that fit; a rejection carries the reasons Kubernetes would
 * print ("Insufficient memory"), one per failed check.
 */
export interface Status {
  readonly code: 'Success' | 'Unschedulable';
  readonly reasons: readonly string[];
}

/** The node passes the filter. */
export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[] });

/** The node does not fit, for the given reasons (at least one). */
export function unschedulable(...reasons: string[]): Status {
  return Object.freeze({ code: 'Unschedulable', reasons: Object.freeze(reasons) });
}

/** True when the status lets the pod onto the node. */
export function isSuccess(s: Status): boolean {
  return s.code === 'Success';
}
