import { describe, expect, it } from 'vitest';
import { makeNode, makePod } from '../../framework/fixtures';
import { runFilter } from '../../framework/run-plugin';
import { SUCCESS } from '../../framework/status';
import { ErrReasonNotReady, nodeReady } from './node-ready';

describe('NodeReady', () => {
  const plugin = nodeReady();
  const cases = [
    { name: 'Ready=True fits', ready: 'True' as const, reasons: [] },
    { name: 'Ready=False does not fit', ready: 'False' as const, reasons: [ErrReasonNotReady] },
    { name: 'Ready=Unknown (silent node) does not fit', ready: 'Unknown' as const, reasons: [ErrReasonNotReady] },
    { name: 'no Ready condition yet does not fit', ready: undefined, reasons: [ErrReasonNotReady] },
  ];
  it.each(cases)('$name', ({ ready, reasons }) => {
    const status = runFilter(plugin, makePod(), makeNode({ name: 'n1', ready }));
    expect(status.reasons).toEqual(reasons);
    if (reasons.length === 0) expect(status).toBe(SUCCESS);
  });

  it('sees a node become ready when its NodeInfo is replaced in the same nodes array', () => {
    const nodes = [makeNode({ name: 'n1', ready: 'Unknown' })];
    expect(runFilter(plugin, makePod(), nodes[0]!, { nodes }).reasons).toEqual([ErrReasonNotReady]);
    nodes[0] = makeNode({ name: 'n1', ready: 'True' });
    expect(runFilter(plugin, makePod(), nodes[0], { nodes })).toBe(SUCCESS);
  });
});
