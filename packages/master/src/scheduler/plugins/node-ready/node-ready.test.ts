import { describe, expect, it } from 'vitest';
import { makeNode, makePod } from '../../framework/fixtures';
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
    const status = plugin.filter(undefined, makePod(), makeNode({ name: 'n1', ready }));
    expect(status.reasons).toEqual(reasons);
    if (reasons.length === 0) expect(status).toBe(SUCCESS);
  });
});
