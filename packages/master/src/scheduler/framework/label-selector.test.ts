import { describe, expect, it } from 'vitest';
import { LabelSelector, labelSelectorMatches } from '@orchard/api';
import { compileLabelSelector } from './label-selector';

describe('compileLabelSelector agrees with labelSelectorMatches', () => {
  const labels = { app: 'web', tier: 'front' };
  const cases: { name: string; selector: LabelSelector | undefined; matches: boolean }[] = [
    { name: 'absent selector matches nothing', selector: undefined, matches: false },
    { name: 'empty selector matches everything', selector: LabelSelector.fromPartial({}), matches: true },
    { name: 'matchLabels equal', selector: LabelSelector.fromPartial({ matchLabels: { app: 'web' } }), matches: true },
    { name: 'matchLabels other value', selector: LabelSelector.fromPartial({ matchLabels: { app: 'db' } }), matches: false },
    { name: 'matchLabels missing key', selector: LabelSelector.fromPartial({ matchLabels: { zone: 'a' } }), matches: false },
    { name: 'In', selector: LabelSelector.fromPartial({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['back', 'front'] }] }), matches: true },
    { name: 'NotIn', selector: LabelSelector.fromPartial({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }), matches: false },
    { name: 'NotIn on a missing key', selector: LabelSelector.fromPartial({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }), matches: true },
    { name: 'Exists', selector: LabelSelector.fromPartial({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }), matches: true },
    { name: 'DoesNotExist', selector: LabelSelector.fromPartial({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }), matches: false },
    { name: 'unknown operator matches nothing', selector: LabelSelector.fromPartial({ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }), matches: false },
    {
      name: 'matchLabels and expressions together',
      selector: LabelSelector.fromPartial({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }),
      matches: true,
    },
  ];
  it.each(cases)('$name', ({ selector, matches }) => {
    expect(compileLabelSelector(selector)(labels)).toBe(matches);
    expect(labelSelectorMatches(selector, labels)).toBe(matches);
  });

  it('treats absent labels as none', () => {
    expect(compileLabelSelector(LabelSelector.fromPartial({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }))(undefined)).toBe(true);
  });
});
