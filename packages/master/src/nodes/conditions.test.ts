import { describe, expect, it } from 'vitest';
import { Condition } from '@orchard/api';
import { setCondition } from './conditions';

const ready = (status: string, t = 'T0') => Condition.fromPartial({ type: 'Ready', status, lastTransitionTime: t });

describe('setCondition', () => {
  it.each([
    { name: 'adds a missing condition with the transition time now', before: [], set: { type: 'Ready', status: 'True' }, want: [['Ready', 'True', 'NOW']] },
    { name: 'keeps the transition time when the status stays', before: [ready('True')], set: { type: 'Ready', status: 'True', reason: 'Again' }, want: [['Ready', 'True', 'T0']] },
    { name: 'moves the transition time when the status changes', before: [ready('True')], set: { type: 'Ready', status: 'Unknown' }, want: [['Ready', 'Unknown', 'NOW']] },
    {
      name: 'replaces in place, leaving the others where they were',
      before: [Condition.fromPartial({ type: 'A', status: 'True' }), ready('False'), Condition.fromPartial({ type: 'B', status: 'True' })],
      set: { type: 'Ready', status: 'True' },
      want: [['A', 'True', ''], ['Ready', 'True', 'NOW'], ['B', 'True', '']],
    },
  ])('$name', ({ before, set, want }) => {
    const out = setCondition(before, set, 'NOW');
    expect(out.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual(want);
  });
});
