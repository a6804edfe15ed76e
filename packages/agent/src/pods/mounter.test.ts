import { describe, expect, it } from 'vitest';
import { SECRET_TMPFS_SOURCE, systemMounter } from './mounter';

describe('systemMounter', () => {
  it('mounts a size-capped tmpfs that runs nothing, named so that findmnt -S finds it', async () => {
    const calls: Array<[string, string[]]> = [];
    const m = systemMounter(async (file, args) => void calls.push([file, args]));
    await m.mountTmpfs('/var/lib/orchard-agent/pods/u1/volumes/creds', 4 * 1024 * 1024);
    expect(calls).toEqual([
      ['mount', ['-t', 'tmpfs', '-o', 'size=4194304,mode=0755,noexec,nosuid,nodev', SECRET_TMPFS_SOURCE, '/var/lib/orchard-agent/pods/u1/volumes/creds']],
    ]);
  });

  it('unmounts nothing that is not mounted, and knows no mounts under a folder that does not exist', async () => {
    const calls: Array<[string, string[]]> = [];
    const m = systemMounter(async (file, args) => void calls.push([file, args]));
    const dir = '/nonexistent/orchard-agent/pods/u1/volumes/creds';
    expect(await m.isTmpfs(dir)).toBe(false);
    await m.unmount(dir);
    expect(await m.mountsUnder('/nonexistent/orchard-agent')).toEqual([]);
    expect(calls).toEqual([]);
  });

});
