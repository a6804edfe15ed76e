import type { Node, Pod } from '@orchard/api';
import type { ColumnTable } from '../../framework/node-column';
import { NodeColumn } from '../../framework/node-column';
import type { CycleContext, FilterPlugin } from '../../framework/plugin';
import { SKIP } from '../../framework/plugin';
import { SUCCESS, unschedulable } from '../../framework/status';
import type { NodePlatform, Platform } from './platform';
import { nodePlatform, parsePlatform, runsOn } from './platform';

export const Name = 'NodeArchitecture';

/** Orchard's reason: there is no Kubernetes equivalent (kubelet finds out at pull time). */
export const ErrReason = "node(s) didn't match the architecture of the pod's images";

const MISMATCH = unschedulable(ErrReason);

/** The cycle state: the platforms of each known image, and verdicts per node platform. */
export interface ArchitectureState {
  readonly images: readonly (readonly Platform[])[];
  readonly platforms: ColumnTable<NodePlatform | null>;
  /** Verdict per node platform id (undefined until decided): each is decided once per cycle. */
  readonly verdicts: (boolean | undefined)[];
}

// Node objects outlive snapshots (the scheduling loop rebuilds NodeInfos, not Nodes), so
// the platform is remembered per Node too: a new snapshot then costs a lookup per node.
const platformByNode = new WeakMap<Node, NodePlatform | null>();
const PLATFORMS = new NodeColumn((nodeInfo) => {
  let p = platformByNode.get(nodeInfo.node);
  if (p === undefined) platformByNode.set(nodeInfo.node, (p = nodePlatform(nodeInfo.node)));
  return p;
});

/** The images a pod runs (init containers included: they run on the same node). */
export function podImages(pod: Pod): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.image);
}

function preFilter(pod: Pod, ctx: CycleContext): ArchitectureState | typeof SKIP {
  const { imagePlatforms: known, registryPlatforms: fromRegistry } = ctx.snapshot;
  if (!known && !fromRegistry) return SKIP;
  const images: Platform[][] = [];
  for (const image of podImages(pod)) {
    const local = known?.get(image);
    const remote = fromRegistry?.(image);
    // A name both made on a node and served by a registry runs as either: it provides both.
    const platforms = local?.length && remote?.length ? [...new Set([...local, ...remote])] : local?.length ? local : remote;
    if (platforms && platforms.length > 0) images.push(platforms.map(parsePlatform));
  }
  if (images.length === 0) return SKIP;
  return { images, platforms: PLATFORMS.of(ctx.snapshot.nodes), verdicts: [] };
}

/**
 * Never places a pod on a node whose platform one of its images does not provide, so an
 * "exec format error" cannot happen at run time. An image's platforms come from the nodes
 * that report it (snapshot.imagePlatforms) and from its registry (snapshot.registryPlatforms).
 * Images whose platforms are unknown to both do not restrict placement, nor do nodes that
 * have not reported their architecture.
 */
export function nodeArchitecture(): FilterPlugin<ArchitectureState> {
  return {
    name: Name,
    preFilter,
    filter: (state, _pod, nodeInfo, index) => {
      const platform = state.platforms.get(index, nodeInfo);
      if (!platform) return SUCCESS;
      let fits = state.verdicts[platform.id];
      if (fits === undefined) {
        fits = state.images.every((provided) => provided.some((p) => runsOn(p, platform)));
        state.verdicts[platform.id] = fits;
      }
      return fits ? SUCCESS : MISMATCH;
    },
  };
}

/**
 * Gathers image platforms from what nodes report (status.images), for the master to merge
 * with what the registry says. Every name of an image (tags, digests) maps to its platforms.
 */
export function imagePlatformsFromNodes(nodes: readonly Node[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const node of nodes) {
    for (const image of node.status?.images ?? []) {
      if (image.platforms.length === 0) continue;
      for (const name of image.names) {
        const known = out.get(name) ?? [];
        for (const p of image.platforms) if (!known.includes(p)) known.push(p);
        out.set(name, known);
      }
    }
  }
  return out;
}
