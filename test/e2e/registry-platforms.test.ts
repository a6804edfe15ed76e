import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { describeResult, orchardOk, parseTable, waitFor } from '../bed/cli';
import type {} from '../bed/facts';
import { BRIDGE_ADDRESS } from '../bed/layout';
import { logTail } from '../bed/processes';
import { startLocalRegistry, type LocalRegistry } from '../bed/registry';
import { useCluster } from '../bed/use-cluster';

// Issue 4, CPU architecture: images found in a registry carry their platforms. A local
// registry with htpasswd auth (Debian's docker-registry, on the bed's bridge address) holds
// an OCI index listing only linux/arm64, a single arm64 manifest (no list: the master reads
// its config blob) and a Docker manifest list listing only linux/amd64, all pushed with
// plain HTTP requests. The simulated nodes are amd64: the arm64 pods stay Pending with the
// architecture reason and no container is ever created for them; the amd64 one is bound
// (its layer is fake, so only its scheduling is asserted). The master reads the registry
// with the pods' imagePullSecret, over plain HTTP because of --insecure-registry.

const bed = inject('bed');
const USER = 'orchard';
const PASSWORD = 'platforms-pass-1';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
let registry: LocalRegistry | undefined;
let registryAddress = '';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Uploads a blob (POST to open an upload, PUT with its digest to finish it). */
async function pushBlob(repo: string, content: Buffer, mediaType: string): Promise<Descriptor> {
  const base = `http://${registryAddress}`;
  const digest = sha256(content);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { authorization: AUTH } });
  expect(start.status, `open upload to ${repo}: ${await start.clone().text()}`).toBe(202);
  const url = new URL(start.headers.get('location')!, base);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, { method: 'PUT', headers: { authorization: AUTH, 'content-type': 'application/octet-stream' }, body: content });
  expect(put.status, `upload blob to ${repo}: ${await put.clone().text()}`).toBe(201);
  return { mediaType, digest, size: content.length };
}

/** Puts a manifest (or index) under `reference` (a tag, or its own digest). */
async function pushManifest(repo: string, reference: string | undefined, manifest: unknown, mediaType: string): Promise<Descriptor> {
  const body = Buffer.from(JSON.stringify(manifest));
  const digest = sha256(body);
  const res = await fetch(`http://${registryAddress}/v2/${repo}/manifests/${reference ?? digest}`, {
    method: 'PUT',
    headers: { authorization: AUTH, 'content-type': mediaType },
    body,
  });
  expect(res.status, `put manifest ${repo}:${reference ?? digest}: ${await res.clone().text()}`).toBe(201);
  return { mediaType, digest, size: body.length };
}

/** One platform's image: a config blob, one (fake) layer blob, and the manifest naming them. */
async function pushPlatformImage(repo: string, architecture: string, format: 'oci' | 'docker', tag?: string): Promise<Descriptor> {
  const layer = await pushBlob(repo, Buffer.from(`not really a layer for ${architecture}\n`), format === 'oci' ? OCI_LAYER : DOCKER_LAYER);
  const configJson = { architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: { Cmd: ['sh'] } };
  const config = await pushBlob(repo, Buffer.from(JSON.stringify(configJson)), format === 'oci' ? OCI_CONFIG : DOCKER_CONFIG);
  const mediaType = format === 'oci' ? OCI_MANIFEST : DOCKER_MANIFEST;
  return pushManifest(repo, tag, { schemaVersion: 2, mediaType, config, layers: [layer] }, mediaType);
}

const c = useCluster(
  bed,
  // The engines of the bed trust the bridge address as a plain-HTTP registry (netns-node.ts); the master the same way.
  { name: 'registry-platforms', masterArgs: ['--registry-platform-lookup', 'true', '--insecure-registry', `${BRIDGE_ADDRESS}/32`] },
  {
    setUp: async (cluster) => {
      registry = await startLocalRegistry(cluster.runDir, USER, PASSWORD);
      registryAddress = registry.address;

      // linux/arm64 only, as an OCI index.
      const arm = await pushPlatformImage('orchard-test/arm64-only', 'arm64', 'oci');
      await pushManifest('orchard-test/arm64-only', '1', { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...arm, platform: { os: 'linux', architecture: 'arm64' } }] }, OCI_INDEX);
      // linux/arm64 as a single manifest, no list: its config blob says the architecture.
      await pushPlatformImage('orchard-test/arm64-single', 'arm64', 'docker', '1');
      // linux/amd64 only, as a Docker manifest list.
      const amd = await pushPlatformImage('orchard-test/amd64-only', 'amd64', 'docker');
      await pushManifest('orchard-test/amd64-only', '1', { schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [{ ...amd, platform: { os: 'linux', architecture: 'amd64' } }] }, DOCKER_LIST);

      await orchardOk(cluster.cli, ['create', 'secret', 'docker-registry', 'regcred', '--docker-server', registryAddress, '--docker-username', USER, '--docker-password', PASSWORD]);
    },
    tearDown: async () => {
      // By its pid, before the cluster's teardown (which kills whatever is left).
      await registry?.stop();
    },
  },
);

function pod(name: string, repo: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  imagePullSecrets:
    - name: regcred
  containers:
    - name: main
      image: ${registryAddress}/${repo}:1
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
`;
}

async function apply(name: string, text: string): Promise<void> {
  const file = c().manifestFile(name, text);
  const r = await c().cli(['apply', '-f', file]);
  expect(r.code, describeResult(['apply', '-f', file], r)).toBe(0);
}

function scheduledCondition(p: Record<string, any> | undefined): Record<string, any> | undefined {
  return (p?.status?.conditions as Array<Record<string, any>> | undefined)?.find((x) => x.type === 'PodScheduled');
}

describe('image platforms from the registry', () => {
  it('the simulated nodes are amd64', async () => {
    const rows = parseTable(await orchardOk(c().cli, ['get', 'nodes', '-o', 'wide']));
    expect(rows.length).toBe(bed.nodes.length);
    for (const row of rows) expect(row.ARCH, row.NAME).toBe('amd64');
  });

  it('keeps pods of arm64-only images Pending with the architecture reason, and binds the amd64 one', async () => {
    await apply('arm-index.yaml', pod('arm-index', 'orchard-test/arm64-only'));
    await apply('arm-single.yaml', pod('arm-single', 'orchard-test/arm64-single'));
    await apply('amd-list.yaml', pod('amd-list', 'orchard-test/amd64-only'));

    const bound = await waitFor('pod amd-list to be bound', async () => (await c().getPod('amd-list'))?.spec?.nodeName as string | undefined, { timeoutMs: 20_000, intervalMs: 200 });
    expect(bed.nodes.map((n) => n.name)).toContain(bound);

    const n = bed.nodes.length;
    for (const name of ['arm-index', 'arm-single']) {
      const cond = await waitFor(`pod ${name} to be unschedulable`, async () => {
        const s = scheduledCondition(await c().getPod(name));
        return s?.status === 'False' ? s : undefined;
      }, { timeoutMs: 20_000, intervalMs: 200 });
      expect(cond.reason).toBe('Unschedulable');
      expect(cond.message).toBe(`0/${n} nodes are available: ${n} node(s) didn't match the architecture of the pod's images.`);
    }
    const describe = await orchardOk(c().cli, ['describe', 'pod', 'arm-index']);
    expect(describe).toMatch(/FailedScheduling .*node\(s\) didn't match the architecture of the pod's images/);

    // Still Pending a while later, and no node ever made a container for them.
    await new Promise((r) => setTimeout(r, 3000));
    for (const name of ['arm-index', 'arm-single']) {
      const p = await c().getPod(name);
      expect(p?.spec?.nodeName ?? '', name).toBe('');
      expect(p?.status?.phase, name).toBe('Pending');
      for (const node of bed.nodes) expect(await c().podContainers(node, name), `${name} on ${node.name}`).toEqual([]);
    }
  });

  it('schedules a pod whose image the registry does not have (unknown platforms), logging it once', async () => {
    await apply('missing-1.yaml', pod('missing-1', 'orchard-test/not-pushed'));
    await apply('missing-2.yaml', pod('missing-2', 'orchard-test/not-pushed'));
    for (const name of ['missing-1', 'missing-2']) {
      await waitFor(`pod ${name} to be bound`, async () => (await c().getPod(name))?.spec?.nodeName as string | undefined, { timeoutMs: 20_000, intervalMs: 200 });
    }
    // The leader is the only master here: it logged the failed lookup once for the image.
    const log = readFileSync(c().masters[0]!.proc.logFile, 'utf8');
    const lines = log.split('\n').filter((l) => l.includes('image platforms unknown') && l.includes('orchard-test/not-pushed:1'));
    expect(lines, logTail(c().masters[0]!.proc, 30)).toHaveLength(1);
    expect(lines[0]).toMatch(/MANIFEST_UNKNOWN|NAME_UNKNOWN|HTTP 404/);
  });
});
