import type { Node, Pod } from '@orchard/api';

/**
 * What the scheduler knows about one node when it places a pod.
 *
 * Treat a NodeInfo as immutable: when the pods of a node change, put a new NodeInfo in its
 * place in the snapshot's nodes array. Plugins cache what they derive from a node (host ports
 * in use, replica counts, readiness) by that array and the NodeInfo's identity, so changing a
 * NodeInfo or its `pods` in place would leave them stale. Reusing the same nodes array from
 * one pod to the next (replacing entries as pods are bound) keeps those caches warm.
 */
export interface NodeInfo {
  readonly node: Node;
  /** Pods bound to the node (including assumed, not yet confirmed bindings). */
  readonly pods: readonly Pod[];
  /** Allocatable resources of the node. */
  readonly allocatable: Resources;
  /** Sum of the requests of `pods`. */
  readonly requested: Resources;
  /**
   * Sum of the requests of `pods` as scores count them: a pod that requests no CPU or memory
   * counts Kubernetes' defaults (100m, 200Mi), as Kubernetes' NonZeroRequested does, so
   * best-effort pods occupy their node for least- and most-allocated. Filters use `requested`.
   */
  readonly nonZeroRequested: Resources;
}

export interface Resources {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pods: number;
}

/** A consistent view of the cluster for one scheduling cycle. */
export interface ClusterSnapshot {
  readonly nodes: readonly NodeInfo[];
  /**
   * Platforms ("os/architecture[/variant]", e.g. "linux/arm/v7") each image provides, keyed by
   * the image reference exactly as pod specs write it. Filled from the registry and from the
   * images nodes report. An image that is absent (or maps to an empty list) is unknown and
   * does not restrict placement.
   */
  readonly imagePlatforms?: ReadonlyMap<string, readonly string[]>;
  /**
   * Platforms of an image as its registry says (same form and meaning as imagePlatforms;
   * undefined or empty: unknown). Merged with imagePlatforms: an image provides both.
   */
  readonly registryPlatforms?: (image: string) => readonly string[] | undefined;
}

/** Either the chosen node, or why no node fits (one reason per rejected node). */
export type Placement =
  | { readonly ok: true; readonly nodeName: string; readonly score: number }
  | {
      readonly ok: false;
      /** Kubernetes phrasing: "0/3 nodes are available: 2 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector." */
      readonly message: string;
      /** node name -> reasons it was rejected */
      readonly rejected: ReadonlyMap<string, readonly string[]>;
    };
