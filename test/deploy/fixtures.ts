import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The repository root (test/deploy/ is two levels down). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEPLOY_DIR = path.join(REPO_ROOT, 'deploy');
export const INSTALL = path.join(DEPLOY_DIR, 'install.sh');
export const UNINSTALL = path.join(DEPLOY_DIR, 'uninstall.sh');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (no shell); never throws for a non-zero exit. */
export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): RunResult {
  const r = spawnSync(file, args, { env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function writeFile(file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

/**
 * A minimal target system: os-release and hostname. No apt-get inside, so install.sh
 * installs no packages there (it says so) and never touches the host's packages.
 */
export function makeTargetRoot(dir: string, opts: { hostname?: string; osRelease?: string } = {}): void {
  writeFile(path.join(dir, 'etc/os-release'), opts.osRelease ?? fs.readFileSync('/etc/os-release', 'utf8'));
  writeFile(path.join(dir, 'etc/hostname'), `${opts.hostname ?? 'pi-test'}\n`);
}

/**
 * A tiny stand-in for the Orchard source tree (used with --no-build): the three bin
 * scripts and a package.json, plus the folders install.sh must not copy.
 */
export function makeSourceTree(dir: string): void {
  for (const [pkg, bin] of [
    ['master', 'orchard-master'],
    ['agent', 'orchard-agent'],
    ['cli', 'orchard'],
  ]) {
    writeFile(path.join(dir, 'packages', pkg!, 'bin', bin!), `#!/bin/sh\necho ${bin} "$@"\n`, 0o755);
  }
  writeFile(path.join(dir, 'package.json'), '{"name":"orchard","private":true}\n');
  writeFile(path.join(dir, '.git/HEAD'), 'ref: refs/heads/main\n');
  writeFile(path.join(dir, 'test/bed/x.ts'), 'export {};\n');
}

/** A fake sysfs with the memory cgroup on (v1 or v2) or off (v2 without it). */
export function makeSysfs(dir: string, cgroup: 'v1' | 'v2' | 'v2-no-memory'): void {
  if (cgroup === 'v1') fs.mkdirSync(path.join(dir, 'fs/cgroup/memory'), { recursive: true });
  else writeFile(path.join(dir, 'fs/cgroup/cgroup.controllers'), cgroup === 'v2' ? 'cpuset cpu io memory pids\n' : 'cpuset cpu io pids\n');
}

/**
 * Everything under a folder: path, type, mode, symlink target and a content hash, one
 * line each, sorted. Two equal snapshots mean nothing was added, removed or changed.
 */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    const rel = path.relative(dir, p) || '.';
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${rel} link ${fs.readlinkSync(p)}`);
    else if (st.isDirectory()) {
      out.push(`${rel} dir ${mode}`);
      for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    } else out.push(`${rel} file ${mode} ${createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 16)}`);
  };
  walk(dir);
  return out.sort();
}

/** All file contents under a folder, concatenated (to search for leaked secrets). */
export function allText(dir: string): string {
  let text = '';
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else if (st.isFile()) text += fs.readFileSync(p, 'latin1');
  };
  walk(dir);
  return text;
}

/** Parses a systemd unit into section → key → values (keys may repeat). */
export function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`unexpected unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}
