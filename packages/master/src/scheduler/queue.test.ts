import { describe, expect, it } from 'vitest';
import { SchedulingQueue } from './queue';

describe('SchedulingQueue', () => {
  it.each([
    { name: 'keeps FIFO order without duplicates', ops: (q: SchedulingQueue) => ['a', 'b', 'a', 'c'].forEach((k) => q.add(k)), want: ['a', 'b', 'c'] },
    {
      name: 'holds parked keys back until the cluster changes',
      ops: (q: SchedulingQueue) => {
        q.park('x');
        q.add('a');
      },
      want: ['a'],
    },
    {
      name: 'returns parked keys after moveAllToActive',
      ops: (q: SchedulingQueue) => {
        q.park('x');
        q.moveAllToActive();
      },
      want: ['x'],
    },
    {
      name: 'an add un-parks a key',
      ops: (q: SchedulingQueue) => {
        q.park('x');
        q.add('x');
      },
      want: ['x'],
    },
    {
      name: 'forgets deleted keys',
      ops: (q: SchedulingQueue) => {
        q.add('a');
        q.add('b');
        q.forget('a');
      },
      want: ['b'],
    },
  ])('$name', ({ ops, want }) => {
    const q = new SchedulingQueue();
    ops(q);
    expect(q.popBatch(10)).toEqual(want);
  });

  it('pops at most the batch size', () => {
    const q = new SchedulingQueue();
    ['a', 'b', 'c'].forEach((k) => q.add(k));
    expect(q.popBatch(2)).toEqual(['a', 'b']);
    expect(q.popBatch(2)).toEqual(['c']);
  });

  it('wakes a waiting consumer on add and ends it on close', async () => {
    const q = new SchedulingQueue();
    const first = q.next();
    q.add('a');
    expect(await first).toBe(true);
    q.popBatch(1);
    const second = q.next();
    q.close();
    expect(await second).toBe(false);
  });
});
