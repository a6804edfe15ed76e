import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Pod, systemClock, type PodStatusUpdate } from '@orchard/api';
import { DockerRuntime } from '../runtime/docker-runtime';
import { LABEL_CONTAINER_NAME, nodeSelectorLabels } from './container-labels';
import { PodReconciler } from './reconciler';

// The reconciler on the host's real dockerd with the locally built test images. Every
// container it makes carries this run's node label and is removed in afterAll.
const SOCKET = '/var/run/docker.sock';
const NODE = `reconciler-test-${randomBytes(4).toString('hex')}`;

const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.runIf(existsSync(SOCKET))('PodReconciler on a real Docker engine', () => {
  const runtime = new DockerRuntime(SOCKET);
  const updates: PodStatusUpdate[] = [];
  const make = () =>
    new PodReconciler({
      runtime,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      nodeName: NODE,
      pauseImage: 'orchard-test/pause:1',
      hostIP: () => '127.0.0.1',
      onStatus: (u) => updates.push(u),
    });
  const reconcilers: PodReconciler[] = [];
  const last = () => updates.at(-1)?.status;

  afterAll(async () => {
    for (const r of reconcilers) await r.stop();
    for (const c of await runtime.listContainers(nodeSelectorLabels(NODE))) await runtime.removeContainer(c.id);
    for (const v of await runtime.listVolumes(nodeSelectorLabels(NODE))) await runtime.removeVolume(v.name);
  });

  const uid = `uid-${randomBytes(4).toString('hex')}`;
  const pod = (extraMeta: Record<string, unknown> = {}) =>
    Pod.fromPartial({
      metadata: { name: 'web', namespace: 'default', uid, ...extraMeta },
      spec: {
        nodeName: NODE,
        restartPolicy: 'OnFailure',
        terminationGracePeriodSeconds: 1,
        volumes: [{ name: 'shared', emptyDir: {} }],
        containers: [
          {
            name: 'web',
            image: 'orchard-test/busybox:1',
            command: ['sh', '-c', 'echo hello > /data/index.html; exec httpd -f -p 8080 -h /data'],
            volumeMounts: [{ name: 'shared', mountPath: '/data' }],
          },
          {
            name: 'probe',
            image: 'orchard-test/busybox:1',
            // Exits 0 once it reached the web container on localhost (one network
            // namespace) and sees the page in its own mount (one emptyDir).
            command: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://localhost:8080/ | grep -q hello && grep -q hello /shared/index.html && exit 0; sleep 0.3; done; exit 1'],
            volumeMounts: [{ name: 'shared', mountPath: '/shared', readOnly: true }],
          },
        ],
      },
    });

  it('runs a two-container pod sharing one network and one emptyDir, restarts, adopts and deletes it', async () => {
    const r = make();
    reconcilers.push(r);
    r.start();
    r.setDesired([pod()]);
    await waitFor('web running and probe completed', () => {
      const s = last();
      const web = s?.containerStatuses.find((c) => c.name === 'web');
      const probe = s?.containerStatuses.find((c) => c.name === 'probe');
      return !!web?.state?.running && probe?.state?.terminated?.exitCode === 0;
    });
    const running = last()!;
    expect(running.phase).toBe('Running');
    expect(running.podIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(running.containerStatuses.find((c) => c.name === 'probe')!.state!.terminated!.reason).toBe('Completed');
    expect((await runtime.listVolumes(nodeSelectorLabels(NODE))).map((v) => v.labels['io.orchard.volume.name'])).toEqual(['shared']);

    // A killed container comes back (OnFailure, exit 137), at once.
    const [web] = await runtime.listContainers({ ...nodeSelectorLabels(NODE), [LABEL_CONTAINER_NAME]: 'web' });
    await runtime.stopContainer(web!.id, 0);
    await waitFor('web restarted', () => {
      const s = last()?.containerStatuses.find((c) => c.name === 'web');
      return s?.restartCount === 1 && !!s.state?.running;
    });
    expect(last()!.containerStatuses.find((c) => c.name === 'web')!.lastState!.terminated!.exitCode).toBe(137);

    // A new reconciler (an agent restart) adopts everything as it is.
    await r.stop();
    const before = (await runtime.listContainers(nodeSelectorLabels(NODE))).map((c) => `${c.id}:${c.state}`).sort();
    const again = make();
    reconcilers.push(again);
    again.start();
    again.setDesired([pod()]);
    await new Promise((res) => setTimeout(res, 300));
    await again.idle();
    const after = (await runtime.listContainers(nodeSelectorLabels(NODE))).map((c) => `${c.id}:${c.state}`).sort();
    expect(after).toEqual(before);

    // Graceful deletion removes every container, then confirms.
    again.setDesired([pod({ deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 1 })]);
    await waitFor('deletion confirmed', () => updates.some((u) => u.deleted));
    expect(await runtime.listContainers(nodeSelectorLabels(NODE))).toEqual([]);
    expect(await runtime.listVolumes(nodeSelectorLabels(NODE))).toEqual([]);
  }, 60_000);
});
