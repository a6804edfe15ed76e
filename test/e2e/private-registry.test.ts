import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { describeResult, orchardOk, waitFor } from '../bed/cli';
import { dockerOk } from '../bed/docker';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { nodeEngine } from '../bed/netns-node';
import { startLocalRegistry, type LocalRegistry } from '../bed/registry';
import { useCluster } from '../bed/use-cluster';

// Issue 3, images: a pull from a local registry with htpasswd auth (Debian's
// docker-registry) works with the right imagePullSecret and fails clearly with a wrong
// one: ErrImagePull, then ImagePullBackOff, with the registry's message.

const bed = inject('bed');
let registry: LocalRegistry | undefined;
let registryAddress = '';
let dockerConfigDir = '';
const USER = 'orchard';
const PASSWORD = 'right-pass-1';

const c = useCluster(bed, { name: 'private-registry' }, {
  setUp: async (cluster) => {
    // The host's LAN address: the simulated nodes reach it, and their engines trust it as a
    // plain-HTTP registry (netns-node.ts, --insecure-registry).
    registry = await startLocalRegistry(cluster.runDir, USER, PASSWORD);
    registryAddress = registry.address;

    // Push the test image through the first node's engine (which trusts the registry),
    // then drop the tag there: every pod below must really pull it.
    const engine = nodeEngine(bed.nodes[0]!);
    dockerConfigDir = mkdtempSync(path.join(os.tmpdir(), 'orchard-registry-login-'));
    const env = { ...process.env, DOCKER_CONFIG: dockerConfigDir };
    await dockerOk(engine, ['tag', TEST_IMAGES.busybox, `${registryAddress}/orchard-test/busybox:private`]);
    await dockerOk(engine, ['login', registryAddress, '-u', USER, '--password-stdin'], { input: PASSWORD, env });
    await dockerOk(engine, ['push', `${registryAddress}/orchard-test/busybox:private`], { env });
    await dockerOk(engine, ['rmi', `${registryAddress}/orchard-test/busybox:private`]);
  },
  tearDown: async () => {
    // By its pid, before the cluster's teardown (which kills whatever is left).
    await registry?.stop();
    if (dockerConfigDir) rmSync(dockerConfigDir, { recursive: true, force: true });
  },
});

function pod(name: string, secret: string, image = `${registryAddress}/orchard-test/busybox:private`): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  imagePullSecrets:
    - name: ${secret}
  containers:
    - name: main
      image: ${image}
      imagePullPolicy: Always
      command: ["sleep", "3600"]
`;
}

async function apply(name: string, text: string): Promise<void> {
  const file = c().manifestFile(name, text);
  const r = await c().cli(['apply', '-f', file]);
  expect(r.code, describeResult(['apply', '-f', file], r)).toBe(0);
}

/** Waits until the pod's container waits with `reason`; returns the waiting state. */
function waitReason(name: string, reason: string, timeoutMs: number): Promise<{ reason: string; message: string }> {
  return waitFor(`pod ${name} to wait with ${reason}`, async () => {
    const w = (await c().getPod(name))?.status?.containerStatuses?.[0]?.state?.waiting;
    return w?.reason === reason ? w : undefined;
  }, { timeoutMs, intervalMs: 300 });
}

describe('a pod pulling from the authenticated registry', () => {
  it('runs with the right credentials', async () => {
    const out = await orchardOk(c().cli, ['create', 'secret', 'docker-registry', 'regcred', '--docker-server', registryAddress, '--docker-username', USER, '--docker-password', PASSWORD]);
    expect(out).toBe('secret/regcred created\n');
    const listed = await orchardOk(c().cli, ['get', 'secrets']);
    expect(listed).toMatch(/regcred\s+kubernetes\.io\/dockerconfigjson\s+1\s/);
    await apply('good.yaml', pod('private-ok', 'regcred'));
    const p = await c().waitPodPhase('private-ok', 'Running', 60_000);
    expect(p.status?.containerStatuses?.[0]?.image).toBe(`${registryAddress}/orchard-test/busybox:private`);
    expect(p.status?.containerStatuses?.[0]?.imageID).toMatch(/sha256:/);
  });

  it('fails with ErrImagePull, then ImagePullBackOff, carrying the registry\'s message, with a wrong password', async () => {
    await orchardOk(c().cli, ['create', 'secret', 'docker-registry', 'badcred', '--docker-server', registryAddress, '--docker-username', USER, '--docker-password', 'wrong-pass']);
    await apply('bad.yaml', pod('private-bad', 'badcred'));
    const first = await waitReason('private-bad', 'ErrImagePull', 30_000);
    expect(first.message).toMatch(/unauthorized/i);
    const backoff = await waitReason('private-bad', 'ImagePullBackOff', 45_000);
    expect(backoff.message).toMatch(/^Back-off pulling image ".*orchard-test\/busybox:private"/);
    expect(backoff.message).toMatch(/unauthorized/i);
    expect((await c().getPod('private-bad'))?.status?.phase).toBe('Pending');
    // The good pod and the agents are untouched.
    expect((await c().getPod('private-ok'))?.status?.phase).toBe('Running');
    for (const [name, agent] of c().agents) expect(agent.exit, `agent ${name}`).toBeUndefined();
  });

  it('fails with ErrImagePull naming the problem for an image the registry does not have', async () => {
    await apply('missing.yaml', pod('private-missing', 'regcred', `${registryAddress}/orchard-test/nope:1`));
    const w = await waitReason('private-missing', 'ErrImagePull', 30_000);
    expect(w.message).toMatch(/manifest unknown|not found/i);
  });
});
