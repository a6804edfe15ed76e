import { describe, expect, it } from 'vitest';
import { LeaseProof } from './lease-proof';

type Step = ['start' | 'stream' | 'send' | 'answer', number];

describe('LeaseProof', () => {
  it.each<{ name: string; steps: Step[]; at: number; remaining: number }>([
    { name: 'nothing answered yet: proven from the campaign start', steps: [['start', 1000], ['send', 1100]], at: 2000, remaining: 1000 },
    { name: 'an answer read late still proves from its send time', steps: [['start', 0], ['send', 1000], ['answer', 1900]], at: 2500, remaining: 500 },
    { name: 'answers match their requests in order', steps: [['start', 0], ['send', 600], ['send', 1200], ['answer', 1300]], at: 2000, remaining: 600 },
    { name: 'two answers: the later send counts', steps: [['start', 0], ['send', 600], ['send', 1200], ['answer', 1300], ['answer', 1400]], at: 2000, remaining: 1200 },
    { name: 'requests of a broken stream are forgotten', steps: [['start', 0], ['send', 600], ['stream', 700], ['send', 800], ['answer', 900]], at: 2000, remaining: 800 },
    { name: 'an unmatched answer proves from its arrival only', steps: [['start', 0], ['answer', 500]], at: 1000, remaining: 1500 },
    { name: 'expired: negative', steps: [['start', 0], ['send', 100], ['answer', 200]], at: 3000, remaining: -900 },
  ])('$name', ({ steps, at, remaining }) => {
    const p = new LeaseProof(2000);
    for (const [what, t] of steps) {
      if (what === 'start') p.started(t);
      else if (what === 'stream') p.newStream();
      else if (what === 'send') p.sent(t);
      else p.answered(t);
    }
    expect(p.remainingMs(at)).toBe(remaining);
  });
});
