import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { KeyToPath, Pod, Volume } from '@orchard/api/agent';
import type { Mounter } from './mounter';
import type { ConfigLookup } from './pod-config';

/** A configMap or secret volume of a pod, projected into a directory on the node. */
export interface ProjectedVolume {
  /** The host directory bind-mounted into the containers. */
  dir: string;
  /** The relative file paths it holds. */
  paths: ReadonlySet<string>;
  /** Why the volume cannot be set up (a missing ConfigMap or key); nothing was written. */
  error?: string;
}

/**
 * The size of a secret volume's tmpfs: a Secret holds at most 1 MiB, and an update
 * writes the new generation before the old one goes (2 MiB), plus file-system overhead.
 */
export const SECRET_TMPFS_BYTES = 4 * 1024 * 1024;

/** A tmpfs for a secret volume could not be mounted: the volume is refused, never written to disk. */
class TmpfsMountError extends Error {}

/** Kubernetes' default file mode of configMap and secret volumes. */
const DEFAULT_MODE = 0o644;
/** The symlink that names the current generation of a volume's files (as kubelet's AtomicWriter). */
const DATA_LINK = '..data';
const DATA_LINK_TMP = '..data_tmp';

interface FileSpec {
  data: Buffer;
  mode: number;
}

/**
 * Projects the configMap and secret volumes of pods as files under
 * `<root>/<pod uid>/volumes/<volume>`, the way kubelet does: the files live in a
 * timestamped directory, a `..data` symlink names the current one, and each top-level
 * entry is a symlink through `..data`. An update writes a new generation and swaps
 * `..data` with one rename, so a running container (which has the volume directory
 * bind-mounted) sees the new content at once and never half of it.
 *
 * Nothing is written while the content is unchanged (the node may run from an SD
 * card). The per-pod directory is 0700: Secret files are readable on the node by root
 * only, whatever their mode inside the container. With a mounter, a secret volume's
 * directory is a tmpfs of its own (mounted before anything is written to it, unmounted
 * when the pod goes), so Secrets live in memory only, as with kubelet; after an agent
 * restart a volume is adopted only when its tmpfs is still mounted (after a reboot it is
 * mounted and written anew).
 */
export class ConfigVolumes {
  /** The digest each volume directory was last written (or found) with. */
  private readonly written = new Map<string, string>();

  /**
   * @param root the directory of the pods' files; undefined: volumes are refused.
   * @param mounter mounts the tmpfs of secret volumes; undefined: they are plain files (tests).
   */
  constructor(
    private readonly root: string | undefined,
    private readonly mounter?: Mounter,
  ) {}

  /**
   * Brings every configMap and secret volume of the pod up to date with the objects
   * of `config`. A volume whose object or key is missing gets an error and no files.
   * @throws Error when the files cannot be written (disk full, permissions).
   */
  async project(pod: Pod, config: ConfigLookup): Promise<Map<string, ProjectedVolume>> {
    const out = new Map<string, ProjectedVolume>();
    const uid = pod.metadata!.uid;
    for (const v of pod.spec?.volumes ?? []) {
      if (!v.configMap && !v.secret) continue;
      const dir = this.root ? path.join(this.root, uid, 'volumes', v.name) : '';
      const files = volumeFiles(pod, v, config);
      if (typeof files === 'string' || !this.root) {
        out.set(v.name, { dir, paths: new Set(), error: typeof files === 'string' ? files : 'this agent has no data directory for configMap and secret volumes' });
        continue;
      }
      try {
        await this.write(path.join(this.root, uid), dir, files, Boolean(v.secret) && this.mounter !== undefined);
      } catch (err) {
        if (err instanceof TmpfsMountError) {
          out.set(v.name, { dir, paths: new Set(), error: `MountVolume.SetUp failed for volume "${v.name}": ${err.message}` });
          continue;
        }
        throw new Error(`failed to write volume "${v.name}" of pod ${pod.metadata!.namespace}/${pod.metadata!.name}`, { cause: err });
      }
      out.set(v.name, { dir, paths: new Set(files.keys()) });
    }
    return out;
  }

  /** Removes the pod's projected files (its containers are gone). */
  async removePod(uid: string): Promise<void> {
    if (!this.root || !uid) return;
    const podDir = path.join(this.root, uid);
    for (const k of [...this.written.keys()]) if (k.startsWith(podDir + path.sep)) this.written.delete(k);
    // Unmounted first: removing a mounted directory fails, and its files are in memory anyway.
    if (this.mounter) for (const m of await this.mounter.mountsUnder(podDir)) await this.mounter.unmount(m);
    await fs.rm(podDir, { recursive: true, force: true });
  }

  private async write(podDir: string, dir: string, files: Map<string, FileSpec>, tmpfs: boolean): Promise<void> {
    const digest = digestOf(files);
    if (this.written.get(dir) === digest) return;
    const mounted = tmpfs && (await this.mounter!.isTmpfs(dir));
    // After an agent restart: the files may already be these (a secret volume's only on its tmpfs).
    if (!this.written.has(dir) && (!tmpfs || mounted) && (await readDigest(dir, files)) === digest) {
      this.written.set(dir, digest);
      return;
    }
    await fs.mkdir(podDir, { recursive: true, mode: 0o700 });
    await fs.chmod(podDir, 0o700);
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    if (tmpfs && !mounted) {
      // Whatever an older agent left on the disk here goes; the tmpfs covers the directory.
      for (const entry of await fs.readdir(dir)) await fs.rm(path.join(dir, entry), { recursive: true, force: true });
      try {
        await this.mounter!.mountTmpfs(dir, SECRET_TMPFS_BYTES);
      } catch (err) {
        throw new TmpfsMountError(`cannot mount a tmpfs at ${dir} (the agent must run as root): ${(err as Error).message}`, { cause: err });
      }
    }
    const generation = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${randomBytes(4).toString('hex')}`;
    const genDir = path.join(dir, generation);
    await fs.mkdir(genDir, { mode: 0o755 });
    for (const [rel, f] of files) {
      const file = path.join(genDir, rel);
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
      await fs.writeFile(file, f.data, { mode: f.mode });
      // writeFile's mode is masked by the umask; the volume's mode is what was asked.
      await fs.chmod(file, f.mode);
    }
    const tmpLink = path.join(dir, DATA_LINK_TMP);
    await fs.rm(tmpLink, { force: true });
    await fs.symlink(generation, tmpLink);
    await fs.rename(tmpLink, path.join(dir, DATA_LINK));
    // Top-level names point through ..data, so they follow each swap.
    const top = new Set([...files.keys()].map((rel) => rel.split('/')[0]!));
    for (const name of top) {
      const link = path.join(dir, name);
      const target = await fs.readlink(link).catch(() => undefined);
      if (target === path.join(DATA_LINK, name)) continue;
      await fs.rm(link, { force: true, recursive: true });
      await fs.symlink(path.join(DATA_LINK, name), link);
    }
    for (const entry of await fs.readdir(dir)) {
      // Left: the previous generations and the keys that left the object.
      if (entry === DATA_LINK || entry === generation || top.has(entry)) continue;
      await fs.rm(path.join(dir, entry), { force: true, recursive: true });
    }
    this.written.set(dir, digest);
  }
}

/**
 * The files of one volume (relative path → content and mode), or the reason it cannot
 * be set up, worded like Kubernetes' FailedMount.
 */
export function volumeFiles(pod: Pod, v: Volume, config: ConfigLookup): Map<string, FileSpec> | string {
  const ns = pod.metadata!.namespace;
  let data: Map<string, Buffer> | undefined;
  let items: readonly KeyToPath[];
  let defaultMode: number | undefined;
  let optional: boolean | undefined;
  let what: string;
  if (v.configMap) {
    ({ items, defaultMode, optional } = v.configMap);
    what = `configmap "${v.configMap.name}"`;
    const cm = config.configMap(ns, v.configMap.name);
    if (cm) {
      data = new Map(Object.entries(cm.data).map(([k, s]) => [k, Buffer.from(s, 'utf8')]));
      for (const [k, b] of Object.entries(cm.binaryData)) data.set(k, Buffer.from(b));
    }
  } else {
    ({ items, defaultMode, optional } = v.secret!);
    what = `secret "${v.secret!.secretName}"`;
    const s = config.secret(ns, v.secret!.secretName);
    if (s) data = new Map(Object.entries(s.data).map(([k, b]) => [k, Buffer.from(b)]));
  }
  const mount = `MountVolume.SetUp failed for volume "${v.name}"`;
  const files = new Map<string, FileSpec>();
  if (!data) {
    return optional ? files : `${mount}: ${what} not found`;
  }
  const mode = defaultMode ?? DEFAULT_MODE;
  if (items.length === 0) {
    for (const [k, b] of data) files.set(k, { data: b, mode });
    return files;
  }
  for (const item of items) {
    const b = data.get(item.key);
    if (b === undefined) {
      if (optional) continue;
      return `${mount}: ${what} references non-existent key: ${item.key}`;
    }
    const rel = path.posix.normalize(item.path);
    if (!item.path || path.posix.isAbsolute(item.path) || rel.split('/').some((p) => p === '..' || p.startsWith('..'))) {
      return `${mount}: invalid path "${item.path}" for key ${item.key}`;
    }
    files.set(rel, { data: b, mode: item.mode ?? mode });
  }
  return files;
}

function digestOf(files: Map<string, FileSpec>): string {
  const h = createHash('sha256');
  for (const rel of [...files.keys()].sort()) {
    const f = files.get(rel)!;
    h.update(`${rel}\0${f.mode}\0${f.data.length}\0`);
    h.update(f.data);
  }
  return h.digest('hex');
}

/** The digest of what `dir` holds for the expected paths, or undefined when it differs. */
async function readDigest(dir: string, expected: Map<string, FileSpec>): Promise<string | undefined> {
  try {
    const files = new Map<string, FileSpec>();
    for (const rel of expected.keys()) {
      const file = path.join(dir, DATA_LINK, rel);
      const [data, st] = await Promise.all([fs.readFile(file), fs.stat(file)]);
      files.set(rel, { data, mode: st.mode & 0o7777 });
    }
    const top = new Set([...expected.keys()].map((rel) => rel.split('/')[0]!));
    for (const entry of await fs.readdir(dir)) if (!entry.startsWith('..') && !top.has(entry)) return undefined;
    for (const name of top) if ((await fs.readlink(path.join(dir, name))) !== path.join(DATA_LINK, name)) return undefined;
    return digestOf(files);
  } catch {
    return undefined;
  }
}
