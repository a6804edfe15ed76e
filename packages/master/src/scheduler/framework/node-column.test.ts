import { describe, expect, it } from 'vitest';
import { makeNode, makePod } from './fixtures';
import { NodeColumn } from './node-column';
import type { NodeInfo } from './types';

describe('NodeColumn', () => {
  function counted() {
    const calls: string[] = [];
    const column = new NodeColumn((ni: NodeInfo) => {
      calls.push(ni.node.metadata!.name);
      return ni.pods.length;
    });
    return { calls, column };
  }

  it('computes once per NodeInfo and array', () => {
    const { calls, column } = counted();
    const nodes = [makeNode({ name: 'a' }), makeNode({ name: 'b' })];
    for (let i = 0; i < 3; i++) nodes.forEach((n, j) => column.of(nodes).get(j, n));
    expect(calls).toEqual(['a', 'b']);
  });

  it('recomputes only the slot whose NodeInfo was replaced', () => {
    const { calls, column } = counted();
    const nodes = [makeNode({ name: 'a' }), makeNode({ name: 'b' })];
    nodes.forEach((n, j) => column.of(nodes).get(j, n));
    nodes[1] = makeNode({ name: 'b', pods: [] });
    expect(nodes.map((n, j) => column.of(nodes).get(j, n))).toEqual([0, 0]);
    expect(calls).toEqual(['a', 'b', 'b']);
  });

  it('reuses the value in a new snapshot when the node and its pods are the same objects', () => {
    const { calls, column } = counted();
    const a = makeNode({ name: 'a', pods: [makePod({ name: 'p1' })] });
    column.of([a]).get(0, a);
    const again = { ...a, pods: [...a.pods] };
    expect(column.of([again]).get(0, again)).toBe(1);
    expect(calls).toEqual(['a']);
  });

  it('recomputes in a new snapshot when the pods differ', () => {
    const { calls, column } = counted();
    const a = makeNode({ name: 'a', pods: [makePod({ name: 'p1' })] });
    column.of([a]).get(0, a);
    const grown = { ...a, pods: [...a.pods, makePod({ name: 'p2' })] };
    expect(column.of([grown]).get(0, grown)).toBe(2);
    const replaced = { ...a, pods: [makePod({ name: 'p1' })] };
    expect(column.of([replaced]).get(0, replaced)).toBe(1);
    expect(calls).toEqual(['a', 'a', 'a']);
  });

  it('recomputes for a new Node object (the node changed)', () => {
    const { calls, column } = counted();
    const a = makeNode({ name: 'a' });
    column.of([a]).get(0, a);
    const b = makeNode({ name: 'a' });
    column.of([b]).get(0, b);
    expect(calls).toEqual(['a', 'a']);
  });

  it('fills gaps when a later index comes first', () => {
    const { column } = counted();
    const nodes = [makeNode({ name: 'a' }), makeNode({ name: 'b' }), makeNode({ name: 'c' })];
    const table = column.of(nodes);
    expect(table.get(2, nodes[2]!)).toBe(0);
    expect(table.get(0, nodes[0]!)).toBe(0);
  });

  it('finds the notable nodes, following replaced entries', () => {
    const column = new NodeColumn((ni: NodeInfo) => ni.pods.length, (n) => n > 0);
    const nodes = [makeNode({ name: 'a' }), makeNode({ name: 'b', pods: [makePod({ name: 'p' })] }), makeNode({ name: 'c' })];
    expect([...column.of(nodes).notableIn(nodes)]).toEqual([1]);
    nodes[1] = makeNode({ name: 'b' });
    nodes[2] = makeNode({ name: 'c', pods: [makePod({ name: 'q' })] });
    expect([...column.of(nodes).notableIn(nodes)]).toEqual([2]);
  });
});
