import { Pod } from '@orchard/api/agent';

/**
 * The bytes of a pod that matter to the agent: everything but its status and
 * resourceVersion (which change with every status write). Two pods with the same
 * fingerprint need no reconcile, and a desired set with the same fingerprints needs no
 * disk write.
 */
export function podFingerprint(pod: Pod): Buffer {
  return Buffer.from(Pod.encode(stripForAgent(pod)).finish());
}

/** A copy of the pod without status and resourceVersion. */
export function stripForAgent(pod: Pod): Pod {
  return {
    ...pod,
    metadata: pod.metadata ? { ...pod.metadata, resourceVersion: '' } : undefined,
    status: undefined,
  };
}
