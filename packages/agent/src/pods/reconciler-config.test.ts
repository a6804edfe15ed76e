import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigMap, Pod, Secret, type PodStatusUpdate } from '@orchard/api';
import pino from 'pino';
import type { RegistryAuth } from '../runtime/container-runtime';
import { FakeRuntime } from '../runtime/fake-runtime';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from './container-labels';
import { FakeClock } from './fake-clock';
import { PodReconciler } from './reconciler';

const PAUSE = 'orchard-test/pause:1';
const IMAGE = 'orchard-test/busybox:1';
const PRIVATE = '192.168.77.1:25000/team/app:1';

/** Records the credentials of each pull. */
class AuthRecordingRuntime extends FakeRuntime {
  readonly auths: Array<RegistryAuth | undefined> = [];
  override async pullImage(ref: string, auth?: RegistryAuth): Promise<void> {
    this.auths.push(auth);
    return super.pullImage(ref);
  }
}

function pod(name: string, uid: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: 'default', uid },
    spec: { nodeName: 'pi1', restartPolicy: 'Always', containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'], ...container }], ...spec },
  });
}

const cm = (data: Record<string, string>) => ConfigMap.fromPartial({ metadata: { name: 'app-config', namespace: 'default' }, data });
const regcred = Secret.fromPartial({
  metadata: { name: 'regcred', namespace: 'default' },
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { '192.168.77.1:25000': { auth: Buffer.from('alice:pw').toString('base64') } } })) },
});

const reader = pod(
  'reader',
  'uid-r',
  {
    env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'MODE' } } }],
    volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
  },
  { volumes: [{ name: 'config', configMap: { name: 'app-config' } }] },
);

describe('PodReconciler with ConfigMaps and Secrets', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'orchard-reconciler-config-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  function setup() {
    const clock = new FakeClock(Date.parse('2026-11-25T12:00:00Z'));
    const runtime = new AuthRecordingRuntime(clock);
    runtime.images.add(PAUSE);
    runtime.images.add(IMAGE);
    const updates: PodStatusUpdate[] = [];
    const reconciler = new PodReconciler({
      runtime,
      clock,
      logger: pino({ level: 'silent' }),
      nodeName: 'pi1',
      pauseImage: PAUSE,
      hostIP: () => '192.168.77.11',
      onStatus: (u) => updates.push(u),
      podFilesDir: dir,
    });
    reconciler.start();
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        await reconciler.idle();
      }
    };
    const last = (name: string) => [...updates].reverse().find((u) => u.name === name);
    const app = (uid: string) => runtime.find({ [LABEL_POD_UID]: uid, [LABEL_CONTAINER_NAME]: 'app' });
    return { runtime, reconciler, settle, last, app };
  }

  it('resolves env and mounts the projected files; a changed ConfigMap rewrites them without a restart', async () => {
    const { reconciler, settle, app } = setup();
    reconciler.setDesired([reader], { configMaps: [cm({ MODE: 'fast', 'app.conf': 'v1' })], secrets: [] });
    await settle();
    const [first] = app('uid-r');
    expect(first!.state).toBe('running');
    expect(first!.spec.env).toContain('MODE=fast');
    const mount = first!.spec.mounts![0]!;
    expect(mount).toMatchObject({ type: 'bind', target: '/etc/app', readOnly: true });
    expect(await fs.readFile(path.join(mount.source, 'app.conf'), 'utf8')).toBe('v1');

    reconciler.setDesired([reader], { configMaps: [cm({ MODE: 'slow', 'app.conf': 'v2' })], secrets: [] });
    await settle();
    expect(await fs.readFile(path.join(mount.source, 'app.conf'), 'utf8')).toBe('v2');
    // The same container: env changes wait for the next start, as in Kubernetes.
    expect(app('uid-r').map((c) => c.id)).toEqual([first!.id]);
  });

  it('reports a missing key as CreateContainerConfigError, leaves other pods running, and starts once the key exists', async () => {
    const { reconciler, settle, last, app } = setup();
    const broken = pod('broken', 'uid-b', { env: [{ name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'LEVEL' } } }] });
    reconciler.setDesired([reader, broken], { configMaps: [cm({ MODE: 'fast' })], secrets: [] });
    await settle();
    const waiting = last('broken')!.status!.containerStatuses[0]!.state!.waiting!;
    expect(waiting).toEqual({ reason: 'CreateContainerConfigError', message: "couldn't find key LEVEL in ConfigMap default/app-config" });
    expect(app('uid-b')).toHaveLength(0);
    expect(app('uid-r')[0]!.state).toBe('running');

    reconciler.setDesired([reader, broken], { configMaps: [cm({ MODE: 'fast', LEVEL: 'debug' })], secrets: [] });
    await settle();
    expect(app('uid-b')[0]!.state).toBe('running');
    expect(app('uid-b')[0]!.spec.env).toContain('LEVEL=debug');
  });

  it('pulls with the credentials of the pod\'s imagePullSecret', async () => {
    const { runtime, reconciler, settle, app } = setup();
    const p = pod('private', 'uid-p', { image: PRIVATE }, { imagePullSecrets: [{ name: 'regcred' }] });
    reconciler.setDesired([p], { configMaps: [], secrets: [regcred] });
    await settle();
    expect(runtime.auths).toEqual([{ username: 'alice', password: 'pw', serveraddress: '192.168.77.1:25000' }]);
    expect(app('uid-p')[0]!.state).toBe('running');
  });

  it('removes the projected files with the pod', async () => {
    const { reconciler, settle } = setup();
    reconciler.setDesired([reader], { configMaps: [cm({ MODE: 'fast' })], secrets: [] });
    await settle();
    await expect(fs.stat(path.join(dir, 'uid-r'))).resolves.toBeDefined();
    reconciler.setDesired([], { configMaps: [], secrets: [] });
    await settle();
    await expect(fs.stat(path.join(dir, 'uid-r'))).rejects.toThrow();
  });
});
