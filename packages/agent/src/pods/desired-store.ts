import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigMap, DesiredPods, Secret, type Pod } from '@orchard/api/agent';
import { LOCAL_COPY_KEY_FILE, LocalSecretSeal, SealOpenError } from './local-secret-seal';
import { podFingerprint, stripForAgent } from './pod-fingerprint';

/** The file the local copy lives in, under the agent's data directory. */
export const DESIRED_PODS_FILE = 'desired-pods.pb';
/** The type of the one Secret entry of the file, which holds the real Secrets sealed. */
export const SEALED_SECRETS_TYPE = 'orchard.io/sealed-local-copy';
const SEALED_SECRETS_KEY = 'aes-256-gcm';

/** The ConfigMaps and Secrets the pods of a desired set reference. */
export interface DesiredConfig {
  configMaps: readonly ConfigMap[];
  secrets: readonly Secret[];
}

/** What the local copy holds. */
export interface LocalCopy {
  pods: Pod[];
  revision: string;
  configMaps: ConfigMap[];
  secrets: Secret[];
  /** Why the Secrets could not be read back (the copy's pods and ConfigMaps still are). */
  secretsError?: string;
}

/**
 * The node's local copy of its desired pods and of the ConfigMaps and Secrets they
 * reference, so that an agent restarted while the master is down brings its pods back
 * with their env and configMap/secret volumes. Written only when the set or that
 * configuration changes (an SD card wears out under periodic writes), atomically (temp
 * file + rename) so a power cut leaves the old copy or the new one, never half of one.
 * The file is 0600; the Secrets in it are sealed (local-secret-seal.ts), never plaintext.
 */
export class DesiredPodsStore {
  private lastWritten?: Buffer;
  private readonly seal: LocalSecretSeal;

  constructor(private readonly dataDir: string) {
    this.seal = new LocalSecretSeal(path.join(dataDir, LOCAL_COPY_KEY_FILE));
  }

  get file(): string {
    return path.join(this.dataDir, DESIRED_PODS_FILE);
  }

  /**
   * Reads the local copy; undefined when there is none. A corrupt copy is an error
   * (the caller logs it and waits for the master).
   */
  async load(): Promise<LocalCopy | undefined> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`failed to read ${this.file}`, { cause: err });
    }
    let set: DesiredPods;
    try {
      set = DesiredPods.decode(bytes);
    } catch (err) {
      throw new Error(`failed to decode ${this.file}`, { cause: err });
    }
    const copy: LocalCopy = { pods: set.pods, revision: set.revision, configMaps: set.configMaps, secrets: [] };
    const sealed = set.secrets.find((x) => x.type === SEALED_SECRETS_TYPE)?.data[SEALED_SECRETS_KEY];
    if (sealed) {
      try {
        copy.secrets = DesiredPods.decode(await this.seal.open(Buffer.from(sealed))).secrets;
      } catch (err) {
        if (!(err instanceof SealOpenError)) throw new Error(`failed to read the secrets of ${this.file}`, { cause: err });
        // The pods and ConfigMaps still run; pods that read a Secret wait for the master.
        copy.secretsError = err.message;
      }
    }
    // Secrets that could not be read count as different: the next save writes them again.
    this.lastWritten = copy.secretsError ? undefined : fingerprintOf(copy.pods, copy);
    return copy;
  }

  /**
   * Saves the set when it differs from the saved one (ignoring status and
   * resourceVersion, which change without changing what should run). Saves are
   * serialized, and a burst of changes (twenty pods deleted at once) writes the first
   * and the last set only. Resolves with whether this call's set was written.
   */
  save(pods: readonly Pod[], revision = '', config: DesiredConfig = NO_CONFIG): Promise<boolean> {
    const superseded = this.pending;
    const mine = { pods, revision, config, done: deferred<boolean>() };
    this.pending = mine;
    superseded?.done.resolve(false);
    if (!this.writing) void this.drain();
    return mine.done.promise;
  }

  private pending?: { pods: readonly Pod[]; revision: string; config: DesiredConfig; done: Deferred<boolean> };
  private writing = false;

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending) {
        const job = this.pending;
        this.pending = undefined;
        try {
          job.done.resolve(await this.write(job.pods, job.revision, job.config));
        } catch (err) {
          job.done.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(pods: readonly Pod[], revision: string, config: DesiredConfig): Promise<boolean> {
    // An agent restarted with the master up has not loaded the copy; it compares with
    // what is on disk anyway, so a restart does not rewrite an unchanged set.
    if (!this.lastWritten) await this.load().catch(() => undefined);
    const print = fingerprintOf(pods, config);
    if (this.lastWritten?.equals(print)) return false;
    const secrets: Secret[] = [];
    if (config.secrets.length > 0) {
      const plain = Buffer.from(DesiredPods.encode(DesiredPods.fromPartial({ secrets: config.secrets.map(stripSecret) })).finish());
      const sealed = await this.seal.seal(plain).catch((err: unknown) => {
        throw new Error(`failed to seal the secrets of ${this.file}`, { cause: err });
      });
      secrets.push(Secret.fromPartial({ type: SEALED_SECRETS_TYPE, data: { [SEALED_SECRETS_KEY]: sealed } }));
    }
    const bytes = DesiredPods.encode(
      DesiredPods.fromPartial({ pods: pods.map(stripForAgent), revision, configMaps: config.configMaps.map(stripConfigMap), secrets }),
    ).finish();
    const tmp = `${this.file}.tmp`;
    try {
      await fs.mkdir(this.dataDir, { recursive: true });
      const handle = await fs.open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, this.file);
    } catch (err) {
      throw new Error(`failed to write ${this.file}`, { cause: err });
    }
    this.lastWritten = print;
    return true;
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const NO_CONFIG: DesiredConfig = { configMaps: [], secrets: [] };

/**
 * Order-independent fingerprint of a set of pods and their configuration. Of the
 * ConfigMaps and Secrets only the content counts (not resourceVersion); the Secrets
 * enter as a digest, so plaintext is not kept in memory longer than the set is.
 */
function fingerprintOf(pods: readonly Pod[], config: DesiredConfig): Buffer {
  const prints = pods
    .map((p) => ({ uid: p.metadata?.uid ?? '', print: podFingerprint(p) }))
    .sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  const h = createHash('sha256');
  for (const b of sorted(config.configMaps.map((c) => Buffer.from(ConfigMap.encode(stripConfigMap(c)).finish())))) h.update(`${b.length}:`).update(b);
  h.update('|');
  for (const b of sorted(config.secrets.map((x) => Buffer.from(Secret.encode(stripSecret(x)).finish())))) h.update(`${b.length}:`).update(b);
  return Buffer.concat([...prints.flatMap((p) => [Buffer.from(`${p.print.length}:`), p.print]), Buffer.from('config:'), h.digest()]);
}

function sorted(list: Buffer[]): Buffer[] {
  return list.sort(Buffer.compare);
}

/** A ConfigMap with what the agent reads of it: name, namespace, data. */
function stripConfigMap(c: ConfigMap): ConfigMap {
  return ConfigMap.fromPartial({
    metadata: { name: c.metadata?.name ?? '', namespace: c.metadata?.namespace ?? '' },
    data: c.data,
    binaryData: c.binaryData,
    immutable: c.immutable,
  });
}

/** A Secret with what the agent reads of it: name, namespace, type, data. */
function stripSecret(x: Secret): Secret {
  return Secret.fromPartial({
    metadata: { name: x.metadata?.name ?? '', namespace: x.metadata?.namespace ?? '' },
    type: x.type,
    data: x.data,
    immutable: x.immutable,
  });
}
