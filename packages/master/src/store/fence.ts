/**
 * A condition that every leader-only write carries: the leader key still exists with the
 * create revision it had when this master was elected. A deposed leader's key is gone
 * (its lease expired) or belongs to someone else, so its writes fail instead of racing
 * the new leader's.
 */
export interface Fence {
  /** The election key this master holds. */
  readonly key: string;
  /** The key's create revision when this master won the election. */
  readonly createRevision: string;
}
