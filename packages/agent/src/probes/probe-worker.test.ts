import { describe, expect, it } from 'vitest';
import { Probe } from '@orchard/api';
import { FakeClock } from '../pods/fake-clock';
import { ProbeWorker, type ProbeKind } from './probe-worker';

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** Runs a worker whose attempts answer from `answers` (true = success), one per period. */
async function run(kind: ProbeKind, probe: Partial<Probe>, answers: boolean[], opts: { attemptMs?: number } = {}) {
  const clock = new FakeClock(1_000_000);
  const results: Array<{ at: number; ok: boolean }> = [];
  const attempts: number[] = [];
  const timeouts: number[] = [];
  let i = 0;
  const w = new ProbeWorker({
    kind,
    probe: Probe.fromPartial({ periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...probe }),
    clock,
    startedAtMs: clock.now(),
    attempt: async (timeoutMs) => {
      attempts.push(clock.now() - 1_000_000);
      timeouts.push(timeoutMs);
      if (opts.attemptMs) clock.advance(opts.attemptMs);
      const ok = answers[i++] ?? answers.at(-1)!;
      return { ok, message: ok ? '' : `failure ${i}` };
    },
    onResult: (ok) => results.push({ at: clock.now() - 1_000_000, ok }),
  });
  w.start();
  clock.advance(0);
  // One-second steps: an attempt is asynchronous, so the next one is scheduled only
  // after it resolved.
  const span = (probe.initialDelaySeconds ?? 0) + (answers.length + 2) * (probe.periodSeconds ?? 10);
  for (let t = 0; t < span; t++) {
    await flush();
    clock.advance(1_000);
  }
  await flush();
  w.stop();
  return { results, attempts, timeouts, worker: w };
}

describe('ProbeWorker', () => {
  const cases = [
    {
      name: 'liveness fails after failureThreshold consecutive failures, not before',
      kind: 'liveness' as const, probe: { failureThreshold: 3 }, answers: [true, false, false, true, false, false, false],
      results: [{ at: 60_000, ok: false }],
    },
    {
      name: 'liveness with failureThreshold 1 fails on the first failure',
      kind: 'liveness' as const, probe: { failureThreshold: 1 }, answers: [true, false],
      results: [{ at: 10_000, ok: false }],
    },
    {
      name: 'readiness starts unready and turns ready after successThreshold successes',
      kind: 'readiness' as const, probe: { successThreshold: 2 }, answers: [true, false, true, true, true],
      results: [{ at: 30_000, ok: true }],
    },
    {
      name: 'readiness turns unready after failureThreshold failures and ready again',
      kind: 'readiness' as const, probe: { failureThreshold: 2 }, answers: [true, false, false, true, true],
      results: [{ at: 0, ok: true }, { at: 20_000, ok: false }, { at: 30_000, ok: true }],
    },
    {
      name: 'startup succeeds once and stops probing',
      kind: 'startup' as const, probe: {}, answers: [false, false, true, false, false, false],
      results: [{ at: 20_000, ok: true }],
    },
    {
      name: 'startup fails after failureThreshold failures',
      kind: 'startup' as const, probe: { failureThreshold: 2 }, answers: [false, false, true],
      results: [{ at: 10_000, ok: false }],
    },
  ];
  it.each(cases)('$name', async ({ kind, probe, answers, results }) => {
    const r = await run(kind, probe, answers);
    expect(r.results).toEqual(results);
  });

  it('waits initialDelaySeconds from the container start, then probes every periodSeconds', async () => {
    const r = await run('liveness', { initialDelaySeconds: 25, periodSeconds: 5 }, [true, true, true, true]);
    expect(r.attempts.slice(0, 4)).toEqual([25_000, 30_000, 35_000, 40_000]);
  });

  it('gives each attempt timeoutSeconds', async () => {
    const r = await run('readiness', { timeoutSeconds: 3 }, [true]);
    expect(r.timeouts[0]).toBe(3_000);
  });

  it('stops probing after a liveness failure (the container is restarted)', async () => {
    const r = await run('liveness', { failureThreshold: 1 }, [false, false, false, false]);
    expect(r.attempts).toEqual([0]);
  });

  it('counts the period from the start of a slow attempt', async () => {
    const r = await run('readiness', { periodSeconds: 10 }, [true, true, true], { attemptMs: 4_000 });
    expect(r.attempts.slice(0, 2)).toEqual([0, 10_000]);
  });

  it('never reports after stop()', async () => {
    const clock = new FakeClock(0);
    const results: boolean[] = [];
    const w = new ProbeWorker({
      kind: 'readiness',
      probe: Probe.fromPartial({ periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 }),
      clock,
      startedAtMs: 0,
      attempt: async () => ({ ok: true, message: '' }),
      onResult: (ok) => results.push(ok),
    });
    w.start();
    w.stop();
    clock.advance(5_000);
    await flush();
    expect(results).toEqual([]);
    expect(w.result).toBe(false);
  });
});
