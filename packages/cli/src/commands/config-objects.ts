import path from 'node:path';
import { ConfigMap, DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, Secret, type ApiObject } from '@orchard/api';
import type { Io } from '../io';

/** kubectl's default --docker-server: Docker Hub. */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

/** Parses kubectl's `--from-literal key=value` (the value may hold further "="). */
export function parseLiteral(s: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new Error(`invalid literal source ${s}, expected key=value`);
  return [s.slice(0, i), s.slice(i + 1)];
}

/**
 * Reads kubectl's `--from-file [key=]path` sources: a file becomes one key (its base
 * name, or the given key), a directory one key per regular file in it.
 */
export async function readFileSources(io: Io, sources: readonly string[]): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const src of sources) {
    const eq = src.indexOf('=');
    const [key, file] = eq > 0 ? [src.slice(0, eq), src.slice(eq + 1)] : [undefined, src];
    if (!file) throw new Error(`invalid file source ${src}, expected [key=]path`);
    if (await io.isDir(file)) {
      if (key) throw new Error(`cannot give a key for the directory ${file}`);
      for (const e of await io.readDir(file)) if (!e.dir) out.push([e.name, await read(io, path.join(file, e.name))]);
    } else {
      out.push([key ?? path.basename(file), await read(io, file)]);
    }
  }
  return out;
}

async function read(io: Io, file: string): Promise<string> {
  try {
    return await io.readFile(file);
  } catch (err) {
    throw new Error(`failed to read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Entries as a map; a key given twice is an error, as in kubectl. */
function toData(entries: ReadonlyArray<[string, string]>): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (k in data) throw new Error(`cannot add key ${k}, another key by that name already exists`);
    data[k] = v;
  }
  return data;
}

/** The ConfigMap of `orchard create configmap`. */
export function configMapObject(name: string, namespace: string, entries: ReadonlyArray<[string, string]>): ApiObject {
  const cm = ConfigMap.fromPartial({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: toData(entries) });
  return { resource: { $case: 'configMap', configMap: cm } };
}

/** The Secret of `orchard create secret generic`. */
export function genericSecretObject(name: string, namespace: string, type: string, entries: ReadonlyArray<[string, string]>): ApiObject {
  const data = Object.fromEntries(Object.entries(toData(entries)).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
  const secret = Secret.fromPartial({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: type || 'Opaque', data });
  return { resource: { $case: 'secret', secret } };
}

export interface DockerRegistryCredentials {
  server: string;
  username: string;
  password: string;
  email?: string;
}

/** The kubernetes.io/dockerconfigjson Secret of `orchard create secret docker-registry`, as kubectl writes it. */
export function dockerRegistrySecretObject(name: string, namespace: string, c: DockerRegistryCredentials): ApiObject {
  const entry: Record<string, string> = { username: c.username, password: c.password };
  if (c.email) entry.email = c.email;
  entry.auth = Buffer.from(`${c.username}:${c.password}`).toString('base64');
  const json = JSON.stringify({ auths: { [c.server]: entry } });
  const secret = Secret.fromPartial({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: DOCKER_CONFIG_JSON_TYPE,
    data: { [DOCKER_CONFIG_JSON_KEY]: Buffer.from(json, 'utf8') },
  });
  return { resource: { $case: 'secret', secret } };
}
