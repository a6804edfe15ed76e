import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './duration';

/**
 * The client configuration: where the masters are and the credentials to prove who we
 * are (like a kubeconfig). The master writes one for the admin on its first start
 * (<data-dir>/admin.conf).
 */
export interface ClientConfig {
  masters?: string[];
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  /** How long to wait for a connection to one master before trying the next, e.g. "3s". */
  connectTimeout?: string;
}

const FIELDS = ['masters', 'certificateAuthority', 'clientCertificate', 'clientKey', 'connectTimeout'] as const;
const PEM_FIELDS = ['certificateAuthority', 'clientCertificate', 'clientKey'] as const;

/** The configuration files in the order they are read; a later file's settings win. */
export function configFiles(env: (name: string) => string | undefined, flag: string | undefined, home = os.homedir()): Array<{ file: string; required: boolean }> {
  const out = [{ file: path.join(home, '.orchard', 'config'), required: false }];
  const fromEnv = env('ORCHARD_CONFIG');
  if (fromEnv) out.push({ file: fromEnv, required: true });
  if (flag) out.push({ file: flag, required: true });
  return out;
}

/** Parses one configuration file; throws naming the file and the field. */
export function parseClientConfig(text: string, file: string): ClientConfig {
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (err) {
    throw new Error(`${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file} must be a map (${FIELDS.join(', ')})`);
  const out: ClientConfig = {};
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw new Error(`${file}: unknown setting "${key}" (known: ${FIELDS.join(', ')})`);
    if (key === 'masters') {
      if (!Array.isArray(value) || value.some((m) => typeof m !== 'string')) throw new Error(`${file}: masters must be a list of HOST:PORT`);
      out.masters = value as string[];
    } else if (key === 'connectTimeout') {
      const text = typeof value === 'number' ? String(value) : value;
      if (typeof text !== 'string') throw new Error(`${file}: connectTimeout must be a duration such as 3s or 500ms`);
      try {
        if (parseDuration(text) <= 0) throw new Error('it must be more than 0');
      } catch (err) {
        throw new Error(`${file}: connectTimeout: ${(err as Error).message}`, { cause: err });
      }
      out.connectTimeout = text;
    } else {
      if (typeof value !== 'string' || !value.includes('-----BEGIN')) throw new Error(`${file}: ${key} must be a PEM block`);
      out[key as (typeof PEM_FIELDS)[number]] = value;
    }
  }
  return out;
}

/**
 * Reads ~/.orchard/config, then ORCHARD_CONFIG, then --config; each file's settings
 * override the earlier ones. A file named by ORCHARD_CONFIG or --config must exist.
 */
export function loadClientConfig(env: (name: string) => string | undefined, flag: string | undefined, read: (file: string) => string = (f) => readFileSync(f, 'utf8'), home?: string): ClientConfig {
  let merged: ClientConfig = {};
  for (const { file, required } of configFiles(env, flag, home)) {
    let text: string;
    try {
      text = read(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!required && code === 'ENOENT') continue;
      throw new Error(`cannot read the client configuration ${file}: ${(err as Error).message}`, { cause: err });
    }
    merged = { ...merged, ...parseClientConfig(text, file) };
  }
  return merged;
}

/** The message for a CLI with nothing to prove who it is. */
export const NO_CREDENTIALS =
  'no client credentials: copy the admin credentials a master wrote (/var/lib/orchard/admin.conf) to ~/.orchard/config ' +
  '(mode 600), or name the file with ORCHARD_CONFIG or --config';
