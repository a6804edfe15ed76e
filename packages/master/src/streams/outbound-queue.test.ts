import { describe, expect, it } from 'vitest';
import { OutboundQueue } from './outbound-queue';

function setup(limit = 10) {
  const written: string[] = [];
  let accept = true;
  let overflows = 0;
  const q = new OutboundQueue<string>(
    (s) => {
      written.push(s);
      return accept;
    },
    (s) => s.length,
    limit,
    () => overflows++,
  );
  return { q, written, setAccept: (v: boolean) => (accept = v), overflows: () => overflows };
}

describe('OutboundQueue', () => {
  it('writes at once while the client keeps up', () => {
    const { q, written } = setup();
    q.push('a');
    q.push('b');
    expect(written).toEqual(['a', 'b']);
    expect(q.pendingBytes).toBe(0);
  });

  it('holds output after write() returns false until drain, in order', () => {
    const t = setup();
    t.setAccept(false);
    t.q.push('a');
    t.q.push('bb');
    t.q.push('c');
    expect(t.written).toEqual(['a']);
    expect(t.q.pendingBytes).toBe(3);
    t.setAccept(true);
    t.q.drain();
    expect(t.written).toEqual(['a', 'bb', 'c']);
    expect(t.q.pendingBytes).toBe(0);
  });

  it('stops draining when the client is slow again', () => {
    const t = setup();
    t.setAccept(false);
    t.q.push('a');
    t.q.push('b');
    t.q.push('c');
    t.q.drain();
    expect(t.written).toEqual(['a', 'b']);
    expect(t.q.pendingBytes).toBe(1);
  });

  it('gives up once more than the limit waits', () => {
    const t = setup(4);
    t.setAccept(false);
    t.q.push('x');
    t.q.push('aaa');
    expect(t.overflows()).toBe(0);
    t.q.push('bb');
    expect(t.overflows()).toBe(1);
    t.q.push('more');
    t.setAccept(true);
    t.q.drain();
    expect(t.written).toEqual(['x']);
  });

  it('runs whenFlushed after the last waiting item is written', () => {
    const t = setup();
    const events: string[] = [];
    t.setAccept(false);
    t.q.push('a');
    t.q.push('b');
    t.q.whenFlushed(() => events.push('flushed'));
    expect(events).toEqual([]);
    t.setAccept(true);
    t.q.drain();
    expect(events).toEqual(['flushed']);
    t.q.whenFlushed(() => events.push('now'));
    expect(events).toEqual(['flushed', 'now']);
  });
});
