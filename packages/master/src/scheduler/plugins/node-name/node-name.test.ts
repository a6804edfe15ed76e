import { describe, expect, it } from 'vitest';
import { makeNode, makePod } from '../../framework/fixtures';
import { runFilter } from '../../framework/run-plugin';
import { ErrReason, nodeName } from './node-name';

describe('NodeName', () => {
  const cases = [
    { name: 'no nodeName fits any node', nodeName: '', node: 'n1', reasons: [] },
    { name: 'the named node fits', nodeName: 'n1', node: 'n1', reasons: [] },
    { name: 'another node does not fit', nodeName: 'n2', node: 'n1', reasons: [ErrReason] },
  ];
  it.each(cases)('$name', ({ nodeName: wanted, node, reasons }) => {
    const status = runFilter(nodeName(), makePod({ nodeName: wanted }), makeNode({ name: node }));
    expect(status.reasons).toEqual(reasons);
  });
});
