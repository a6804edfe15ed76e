import { createHash } from 'node:crypto';
import { promises as fs, createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, sh } from './exec';
import { docker, dockerOk, dockerShellWords, type Engine } from './docker';
import { IMAGE_CACHE_DIR } from './layout';

/** The images every test uses; no registry is reachable, so they are built from busybox-static. */
export const TEST_IMAGES = {
  /** busybox applets (sh, sleep, httpd, wget, cat, ...) under /bin; CMD sh. */
  busybox: 'orchard-test/busybox:1',
  /** The pod infrastructure container: sleeps forever. */
  pause: 'orchard-test/pause:1',
} as const;

const BUSYBOX = '/bin/busybox';
/** Bump when the image recipe below changes, so existing images are rebuilt. */
const RECIPE_VERSION = '1';
/** Label carrying a digest of the recipe and the busybox binary: equal digest, same image. */
const RECIPE_LABEL = 'io.orchard.test.recipe';

interface ImageRecipe {
  name: string;
  changes: string[];
}

const RECIPES: ImageRecipe[] = [
  { name: TEST_IMAGES.busybox, changes: ['ENV PATH=/bin', 'CMD ["sh"]'] },
  { name: TEST_IMAGES.pause, changes: ['ENV PATH=/bin', 'ENTRYPOINT ["/bin/sleep"]', 'CMD ["2147483647"]'] },
];

async function fileDigest(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Writes the root file system shared by both images: busybox, one symlink per applet. */
async function makeRootfs(dir: string): Promise<void> {
  await fs.mkdir(path.join(dir, 'bin'), { recursive: true });
  for (const d of ['tmp', 'etc', 'proc', 'sys', 'dev', 'root', 'www']) await fs.mkdir(path.join(dir, d), { recursive: true });
  await fs.chmod(path.join(dir, 'tmp'), 0o1777);
  await fs.copyFile(BUSYBOX, path.join(dir, 'bin', 'busybox'));
  await fs.chmod(path.join(dir, 'bin', 'busybox'), 0o755);
  const applets = (await run(BUSYBOX, ['--list'])).split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox');
  for (const a of applets) await fs.symlink('busybox', path.join(dir, 'bin', a));
  await fs.writeFile(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await fs.writeFile(path.join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/**
 * Builds the test images on an engine unless images with the same recipe digest are
 * already there (idempotent: a second call only inspects).
 */
export async function buildTestImages(engine: Engine): Promise<void> {
  try {
    await fs.access(BUSYBOX);
  } catch (e) {
    throw new Error(`${BUSYBOX} missing: install busybox-static (test/bed/prepare.sh does)`, { cause: e });
  }
  const digest = createHash('sha256')
    .update(RECIPE_VERSION)
    .update(await fileDigest(BUSYBOX))
    .digest('hex')
    .slice(0, 16);
  let rootfs: string | undefined;
  try {
    for (const recipe of RECIPES) {
      const inspected = await docker(engine, ['image', 'inspect', '--format', `{{index .Config.Labels "${RECIPE_LABEL}"}}`, recipe.name]);
      if (inspected.code === 0 && inspected.stdout.trim() === `${digest}`) continue;
      if (!rootfs) {
        rootfs = await fs.mkdtemp(path.join(os.tmpdir(), 'orchard-rootfs-'));
        await makeRootfs(rootfs);
      }
      const changes = [...recipe.changes, `LABEL ${RECIPE_LABEL}=${digest}`]
        .map((c) => `--change '${c.replace(/'/g, `'\\''`)}'`)
        .join(' ');
      await sh(`tar -C '${rootfs}' -c . | ${dockerShellWords(engine)} import ${changes} - '${recipe.name}'`);
    }
  } catch (e) {
    throw new Error(`failed to build the test images: ${(e as Error).message}`, { cause: e });
  } finally {
    if (rootfs) await fs.rm(rootfs, { recursive: true, force: true });
  }
}

/**
 * Saves the test images of an engine into one tarball, cached by image ids, and returns
 * its path: saving once and loading it into each node is faster than building on each.
 */
export async function saveTestImages(engine: Engine): Promise<string> {
  const names = Object.values(TEST_IMAGES);
  const ids = (await dockerOk(engine, ['image', 'inspect', '--format', '{{.Id}}', ...names])).trim();
  const key = createHash('sha256').update(ids).digest('hex').slice(0, 16);
  const tarball = path.join(IMAGE_CACHE_DIR, `test-images-${key}.tar`);
  try {
    await fs.access(tarball);
    return tarball;
  } catch {
    // not cached yet
  }
  await fs.mkdir(IMAGE_CACHE_DIR, { recursive: true });
  const partial = `${tarball}.${process.pid}.partial`;
  await dockerOk(engine, ['save', '-o', partial, ...names]);
  await fs.rename(partial, tarball);
  return tarball;
}

/** Loads a tarball made by saveTestImages into an engine. */
export async function loadTestImages(engine: Engine, tarball: string): Promise<void> {
  await dockerOk(engine, ['load', '-q', '-i', tarball]);
}
