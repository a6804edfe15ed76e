import { decodeManifests, type ApiObject } from '@orchard/api';
import { joinPath, type Io } from './io';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** A file to read manifests from, as named on the command line (`-` is stdin). */
export interface ManifestSource {
  readonly name: string;
  readonly text: string;
}

/**
 * Reads every -f argument: a file, `-` for stdin, or a directory (its *.yaml, *.yml and
 * *.json files, sorted; subdirectories too with recursive).
 * @throws Error naming the path that cannot be read.
 */
export async function readSources(io: Io, files: readonly string[], recursive: boolean): Promise<ManifestSource[]> {
  const out: ManifestSource[] = [];
  for (const f of files) {
    if (f === '-') {
      out.push({ name: 'STDIN', text: await io.readStdin() });
      continue;
    }
    let isDir: boolean;
    try {
      isDir = await io.isDir(f);
    } catch (err) {
      throw new Error(`the path "${f}" does not exist`, { cause: err });
    }
    if (isDir) await readDir(io, f, recursive, out);
    else out.push({ name: f, text: await io.readFile(f) });
  }
  return out;
}

async function readDir(io: Io, dir: string, recursive: boolean, out: ManifestSource[]): Promise<void> {
  for (const e of await io.readDir(dir)) {
    const p = joinPath(dir, e.name);
    if (e.dir) {
      if (recursive) await readDir(io, p, recursive, out);
    } else if (MANIFEST_EXT.test(e.name)) {
      out.push({ name: p, text: await io.readFile(p) });
    }
  }
}

/**
 * Decodes every source; problems of all sources are collected, so one run reports
 * every broken document.
 */
export function decodeSources(sources: readonly ManifestSource[]): { objects: ApiObject[]; problems: string[] } {
  const objects: ApiObject[] = [];
  const problems: string[] = [];
  for (const s of sources) {
    const d = decodeManifests(s.text, s.name);
    objects.push(...d.objects);
    problems.push(...d.problems);
  }
  return { objects, problems };
}
