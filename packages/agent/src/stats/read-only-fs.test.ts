import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostFs } from './read-only-fs';

describe('hostFs', () => {
  let root: string;
  const big = 'x'.repeat(100_000) + '\nend\n';

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-fs-'));
    fs.mkdirSync(path.join(root, 'sys/fs/cgroup'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sys/fs/cgroup/memory.current'), '4096\n');
    fs.writeFileSync(path.join(root, 'big'), big);
    fs.writeFileSync(path.join(root, 'empty'), '');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const cases: { name: string; file: string; want: string | undefined }[] = [
    { name: 'small file', file: '/sys/fs/cgroup/memory.current', want: '4096\n' },
    { name: 'file larger than the read buffer', file: '/big', want: big },
    { name: 'empty file', file: '/empty', want: '' },
    { name: 'missing file', file: '/sys/fs/cgroup/cpu.stat', want: undefined },
    { name: 'a file as a directory (ENOTDIR)', file: '/empty/x', want: undefined },
  ];
  it.each(cases)('$name', ({ file, want }) => {
    expect(hostFs(root).readText(file)).toBe(want);
  });

  it('reads stay right after the buffer has grown', () => {
    const rfs = hostFs(root);
    expect(rfs.readText('/big')).toBe(big);
    expect(rfs.readText('/sys/fs/cgroup/memory.current')).toBe('4096\n');
  });

  it('exists sees files and directories', () => {
    const rfs = hostFs(root);
    expect([rfs.exists('/sys/fs/cgroup'), rfs.exists('/empty'), rfs.exists('/nope')]).toEqual([true, true, false]);
  });

  it('a directory read throws (EISDIR is not "missing")', () => {
    expect(() => hostFs(root).readText('/sys')).toThrow(/EISDIR/);
  });

  it('reads /proc on this host', () => {
    expect(hostFs().readText('/proc/self/mountinfo')).toMatch(/ - /);
  });
});
