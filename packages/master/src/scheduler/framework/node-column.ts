import type { Node, Pod } from '@orchard/api';
import type { NodeInfo } from './types';

/**
 * A value derived from each node (is it Ready, its platform, the host ports in use), kept
 * beside the snapshot's nodes array by position and checked by NodeInfo identity. The value
 * must depend on `nodeInfo.node` and `nodeInfo.pods` only.
 *
 * Why not a WeakMap per NodeInfo: a cycle visits hundreds of nodes and several plugins ask
 * per node; a WeakMap lookup each time cost more than the checks themselves. Here a cycle
 * pays one WeakMap lookup for the whole array, then per node one array read and one identity
 * comparison. When the scheduling loop replaces a node's NodeInfo (a pod was bound there),
 * that slot alone is recomputed.
 *
 * A new snapshot (new NodeInfos for the same nodes) would recompute everything; so values
 * are also remembered per Node object, which outlives snapshots, together with the pods they
 * were computed from: when the new NodeInfo has the same Node and the same Pod objects, the
 * value is reused after comparing the pods one by one, which is far cheaper than recomputing.
 */
export class NodeColumn<T> {
  private readonly tables = new WeakMap<readonly NodeInfo[], ColumnTable<T>>();
  private readonly byNode = new WeakMap<Node, { readonly pods: readonly Pod[]; readonly value: T }>();

  /**
   * @param notable optional: which values are worth finding without visiting every node
   *   (see ColumnTable.notableIn), e.g. "this node runs a pod with anti-affinity".
   */
  constructor(
    private readonly compute: (nodeInfo: NodeInfo) => T,
    private readonly notable?: (value: T) => boolean,
  ) {}

  /** The column for this array of nodes; call once per cycle, then `get` per node. */
  of(nodes: readonly NodeInfo[]): ColumnTable<T> {
    let table = this.tables.get(nodes);
    if (!table) {
      table = new ColumnTable((nodeInfo) => this.derive(nodeInfo), this.notable);
      this.tables.set(nodes, table);
    }
    return table;
  }

  private derive(nodeInfo: NodeInfo): T {
    const known = this.byNode.get(nodeInfo.node);
    if (known && samePods(known.pods, nodeInfo.pods)) return known.value;
    const value = this.compute(nodeInfo);
    this.byNode.set(nodeInfo.node, { pods: nodeInfo.pods, value });
    return value;
  }
}

function samePods(a: readonly Pod[], b: readonly Pod[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One column over one nodes array. */
export class ColumnTable<T> {
  private readonly infos: (NodeInfo | undefined)[] = [];
  private readonly values: T[] = [];
  private readonly notables = new Set<number>();

  constructor(
    private readonly compute: (nodeInfo: NodeInfo) => T,
    private readonly notable?: (value: T) => boolean,
  ) {}

  /**
   * Brings every slot up to date with `nodes` (one identity comparison per node) and returns
   * the indexes whose value is notable, so a caller interested in a few nodes only does not
   * visit the rest. Indexes may exceed the array when it shrank; callers skip those.
   */
  notableIn(nodes: readonly NodeInfo[]): ReadonlySet<number> {
    const infos = this.infos;
    for (let i = 0; i < nodes.length; i++) if (infos[i] !== nodes[i]) this.get(i, nodes[i]!);
    return this.notables;
  }

  /** The value for the node at `index` of the array, computed at most once per NodeInfo. */
  get(index: number, nodeInfo: NodeInfo): T {
    if (this.infos[index] === nodeInfo) return this.values[index]!;
    const value = this.compute(nodeInfo);
    // Fill any gap so the arrays stay packed (fast element access).
    while (this.infos.length < index) {
      this.infos.push(undefined);
      this.values.push(value);
    }
    this.infos[index] = nodeInfo;
    this.values[index] = value;
    if (this.notable) {
      if (this.notable(value)) this.notables.add(index);
      else this.notables.delete(index);
    }
    return value;
  }
}
