import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalescer';

describe('Coalescer', () => {
  it('writes the first value at once and only the latest of those that arrive meanwhile', async () => {
    const written: string[] = [];
    let release: () => void = () => undefined;
    const c = new Coalescer<string>(
      async (key, v) => {
        written.push(`${key}=${v}`);
        if (v === 'v1') await new Promise<void>((r) => (release = r));
      },
      () => undefined,
    );
    c.submit('pod', 'v1');
    c.submit('pod', 'v2');
    c.submit('pod', 'v3');
    c.submit('other', 'x');
    release();
    await c.idle();
    expect(written).toEqual(['pod=v1', 'other=x', 'pod=v3']);
  });

  it('reports a failed write and goes on with the next value', async () => {
    const errors: string[] = [];
    const written: string[] = [];
    const c = new Coalescer<string>(
      async (_k, v) => {
        if (v === 'bad') throw new Error('etcd unavailable');
        written.push(v);
      },
      (key, err) => errors.push(`${key}: ${(err as Error).message}`),
    );
    c.submit('k', 'bad');
    await c.idle();
    c.submit('k', 'good');
    await c.idle();
    expect(errors).toEqual(['k: etcd unavailable']);
    expect(written).toEqual(['good']);
  });
});
