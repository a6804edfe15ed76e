import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTransiently } from './transient-module';

const dir = path.dirname(require.resolve('yaml/package.json')) + path.sep;
const loaded = () => Object.keys(require.cache).filter((id) => id.startsWith(dir)).length;
const unload = () => {
  for (const id of Object.keys(require.cache)) if (id.startsWith(dir)) delete require.cache[id];
};

describe('useTransiently', () => {
  it('drops the package from the require cache after a synchronous use', () => {
    unload();
    const doc = useTransiently<typeof import('yaml'), unknown>('yaml', (yaml) => yaml.parse('a: 1'));
    expect(doc).toEqual({ a: 1 });
    expect(loaded()).toBe(0);
  });

  it('keeps it until an asynchronous use settles', async () => {
    unload();
    let during = -1;
    const doc = await useTransiently<typeof import('yaml'), Promise<unknown>>('yaml', async (yaml) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      during = loaded();
      return yaml.parse('b: 2');
    });
    expect(doc).toEqual({ b: 2 });
    expect(during).toBeGreaterThan(0);
    expect(loaded()).toBe(0);
  });

  it('drops it after a use that throws, and passes the error on', () => {
    unload();
    expect(() => useTransiently<typeof import('yaml'), unknown>('yaml', (yaml) => yaml.parse('a: [1'))).toThrow(/flow sequence|Missing/i);
    expect(loaded()).toBe(0);
  });

  it('leaves a package alone that was loaded before', () => {
    unload();
    require('yaml');
    const before = loaded();
    useTransiently<typeof import('yaml'), unknown>('yaml', (yaml) => yaml.parse('c: 3'));
    expect(before).toBeGreaterThan(0);
    expect(loaded()).toBe(before);
  });
});
