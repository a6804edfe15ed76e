import { promises as fs } from 'node:fs';
import { exec } from './exec';

/** Mount points at or below dir, deepest first (the order they must be unmounted in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .filter(Boolean)
    // Field 5 is the mount point, with spaces and other specials octal-escaped.
    .map((line) => line.split(' ')[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/**
 * Lazily unmounts everything under dir, deepest first: a killed dockerd leaves overlay and
 * network-namespace mounts behind, and a folder cannot be removed while they exist.
 */
export async function unmountUnder(dir: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) await exec('umount', ['-l', p]);
  }
  const left = await mountsUnder(dir);
  if (left.length) throw new Error(`could not unmount under ${dir}: ${left.join(', ')}`);
}
