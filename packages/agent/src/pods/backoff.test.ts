import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff';
import { FakeClock } from './fake-clock';

describe('Backoff', () => {
  it('retries first immediately, then waits 10 s doubling up to 5 min', () => {
    const clock = new FakeClock(1_000_000);
    const b = new Backoff(clock);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(b.delayMs('p/c'));
      b.step('p/c');
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  const cases = [
    { name: 'first failure retries at once', steps: 0, failedAgo: 0, ran: 0, ready: true },
    { name: 'second failure waits 10 s', steps: 1, failedAgo: 9_999, ran: 5_000, ready: false },
    { name: 'second failure after 10 s retries', steps: 1, failedAgo: 10_000, ran: 5_000, ready: true },
    { name: 'a run of 10 min resets the delay', steps: 5, failedAgo: 0, ran: 600_000, ready: true },
    { name: 'a run just under 10 min keeps it', steps: 5, failedAgo: 100_000, ran: 599_999, ready: false },
  ];
  it.each(cases)('$name', ({ steps, failedAgo, ran, ready }) => {
    const clock = new FakeClock(10_000_000);
    const b = new Backoff(clock);
    for (let i = 0; i < steps; i++) b.step('p/c');
    expect(b.ready('p/c', clock.now() - failedAgo, ran)).toBe(ready);
  });

  it('forgets the keys of one pod only', () => {
    const b = new Backoff(new FakeClock(0));
    b.step('a/x');
    b.step('a/x');
    b.step('b/x');
    b.forgetPrefix('a/');
    expect(b.delayMs('a/x')).toBe(0);
    expect(b.delayMs('b/x')).toBe(10_000);
  });
});
