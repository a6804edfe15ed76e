import type { NodeInfo } from './types';

/**
 * A value derived from each node (is it Ready, its platform, the host ports in use), kept
 * beside the snapshot's nodes array by position and checked by NodeInfo identity.
 *
 * Why not a WeakMap per NodeInfo: a cycle visits hundreds of nodes and several plugins ask
 * per node; a WeakMap lookup each time cost more than the checks themselves. Here a cycle
 * pays one WeakMap lookup for the whole array, then per node one array read and one identity
 * comparison. When the scheduling loop replaces a node's NodeInfo (a pod was bound there),
 * that slot alone is recomputed.
 */
export class NodeColumn<T> {
  private readonly tables = new WeakMap<readonly NodeInfo[], ColumnTable<T>>();

  constructor(private readonly compute: (nodeInfo: NodeInfo) => T) {}

  /** The column for this array of nodes; call once per cycle, then `get` per node. */
  of(nodes: readonly NodeInfo[]): ColumnTable<T> {
    let table = this.tables.get(nodes);
    if (!table) {
      table = new ColumnTable(this.compute);
      this.tables.set(nodes, table);
    }
    return table;
  }
}

/** One column over one nodes array. */
export class ColumnTable<T> {
  private readonly infos: (NodeInfo | undefined)[] = [];
  private readonly values: T[] = [];

  constructor(private readonly compute: (nodeInfo: NodeInfo) => T) {}

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
    return value;
  }
}
