import { describe, expect, it } from 'vitest';
import { Pod, type PodStatusUpdate } from '@orchard/api';
import pino from 'pino';
import { FakeRuntime } from '../runtime/fake-runtime';
import {
  INFRA_CONTAINER_NAME,
  LABEL_CONTAINER_NAME,
  LABEL_NODE,
  LABEL_POD_UID,
} from './container-labels';
import { FakeClock } from './fake-clock';
import { PodReconciler } from './reconciler';

const NODE = 'pi1';
const PAUSE = 'orchard-test/pause:1';
const IMAGE = 'orchard-test/busybox:1';

function pod(name: string, uid: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Pod {
  return Pod.fromPartial({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid, ...meta },
    spec: {
      nodeName: NODE,
      restartPolicy: 'Always',
      containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }],
      ...spec,
    },
  });
}

function setup(start = Date.parse('2026-11-25T12:00:00Z')) {
  const clock = new FakeClock(start);
  const runtime = new FakeRuntime(clock);
  runtime.images.add(PAUSE);
  runtime.images.add(IMAGE);
  const updates: PodStatusUpdate[] = [];
  const make = () =>
    new PodReconciler({
      runtime,
      clock,
      logger: pino({ level: 'silent' }),
      nodeName: NODE,
      pauseImage: PAUSE,
      hostIP: () => '192.168.77.11',
      onStatus: (u) => updates.push(u),
    });
  const reconciler = make();
  reconciler.start();
  const settle = async (r: PodReconciler = reconciler) => {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await r.idle();
    }
  };
  const last = (name: string) => [...updates].reverse().find((u) => u.name === name);
  const app = (uid: string, name = 'app') =>
    runtime.find({ [LABEL_POD_UID]: uid, [LABEL_CONTAINER_NAME]: name }).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  return { clock, runtime, updates, reconciler, make, settle, last, app };
}

describe('PodReconciler', () => {
  it('runs a pod as an infra container plus app containers joined to its network', async () => {
    const { runtime, reconciler, settle, last } = setup();
    reconciler.setDesired([pod('web', 'uid-1')]);
    await settle();
    const infra = runtime.find({ [LABEL_CONTAINER_NAME]: INFRA_CONTAINER_NAME })[0]!;
    const app = runtime.find({ [LABEL_CONTAINER_NAME]: 'app' })[0]!;
    expect(infra.state).toBe('running');
    expect(infra.image).toBe(PAUSE);
    expect(infra.labels[LABEL_NODE]).toBe(NODE);
    expect(app.state).toBe('running');
    expect(app.spec.networkMode).toBe(`container:${infra.id}`);
    expect(app.name).toBe('orchard_default_web_app_uid1_0');
    const status = last('web')!.status!;
    expect(status.phase).toBe('Running');
    expect(status.podIp).toBe(infra.ipAddress);
    expect(status.hostIp).toBe('192.168.77.11');
    expect(status.containerStatuses[0]!.state!.running).toBeDefined();
    expect(status.conditions.find((c) => c.type === 'Ready')!.status).toBe('True');
  });

  it('adopts running containers after an agent restart without touching them', async () => {
    const { runtime, reconciler, make, settle, updates, last } = setup();
    reconciler.setDesired([pod('web', 'uid-1')]);
    await settle();
    await reconciler.stop();
    const before = runtime.calls.length;
    const ids = [...runtime.containers.keys()];

    const restarted = make();
    restarted.start();
    restarted.setDesired([pod('web', 'uid-1')]);
    await settle(restarted);
    expect(runtime.calls.slice(before)).toEqual([]);
    expect([...runtime.containers.keys()]).toEqual(ids);
    expect(updates.length).toBeGreaterThan(1);
    expect(last('web')!.status!.phase).toBe('Running');
    await restarted.stop();
  });

  it('removes containers of pods that are no longer desired, but only once the desired set is known', async () => {
    const { runtime, reconciler, make, settle } = setup();
    reconciler.setDesired([pod('web', 'uid-1'), pod('db', 'uid-2')]);
    await settle();
    await reconciler.stop();

    const restarted = make();
    restarted.start();
    await restarted.resyncAll();
    await settle(restarted);
    expect(runtime.containers.size).toBe(4);

    restarted.setDesired([pod('web', 'uid-1')]);
    await settle(restarted);
    expect(runtime.find({ [LABEL_POD_UID]: 'uid-2' })).toEqual([]);
    expect(runtime.find({ [LABEL_POD_UID]: 'uid-1' }).every((c) => c.state === 'running')).toBe(true);
    await restarted.stop();
  });

  it('recreates only the container whose spec changed', async () => {
    const { runtime, reconciler, settle, app } = setup();
    const twoContainers = { containers: [
      { name: 'app', image: IMAGE, command: ['sleep', '1000'] },
      { name: 'side', image: IMAGE, command: ['sleep', '2000'] },
    ] };
    reconciler.setDesired([pod('web', 'uid-1', twoContainers)]);
    await settle();
    const infraId = runtime.find({ [LABEL_CONTAINER_NAME]: INFRA_CONTAINER_NAME })[0]!.id;
    const sideId = app('uid-1', 'side')[0]!.id;

    reconciler.setDesired([pod('web', 'uid-1', { containers: [
      { name: 'app', image: IMAGE, command: ['sleep', '3000'] },
      { name: 'side', image: IMAGE, command: ['sleep', '2000'] },
    ] })]);
    await settle();
    const apps = app('uid-1');
    expect(apps).toHaveLength(1);
    expect(apps[0]!.spec.entrypoint).toEqual(['sleep', '3000']);
    expect(apps[0]!.state).toBe('running');
    expect(app('uid-1', 'side')[0]!.id).toBe(sideId);
    expect(runtime.find({ [LABEL_CONTAINER_NAME]: INFRA_CONTAINER_NAME })[0]!.id).toBe(infraId);
  });

  it('deletes a pod gracefully and then confirms the deletion', async () => {
    const { runtime, reconciler, settle, updates } = setup();
    reconciler.setDesired([pod('web', 'uid-1')]);
    await settle();
    reconciler.setDesired([
      pod('web', 'uid-1', {}, { deletionTimestamp: '2026-11-25T12:00:05Z', deletionGracePeriodSeconds: 7 }),
    ]);
    await settle();
    expect(runtime.containers.size).toBe(0);
    expect(runtime.calls).toContain('stop orchard_default_web_app_uid1_0 t=7');
    const deleted = updates.filter((u) => u.deleted);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ name: 'web', namespace: 'default', uid: 'uid-1' });
    // Later resyncs do not confirm again.
    await reconciler.resyncAll();
    await settle();
    expect(updates.filter((u) => u.deleted)).toHaveLength(1);
  });

  it('restarts a crashed container at once, then backs off 10 s, 20 s (CrashLoopBackOff)', async () => {
    const { clock, runtime, reconciler, settle, last, app } = setup();
    reconciler.setDesired([pod('web', 'uid-1')]);
    await settle();

    runtime.crash(app('uid-1')[0]!.id, 1);
    await settle();
    let s = last('web')!.status!.containerStatuses[0]!;
    expect(s.state!.running).toBeDefined();
    expect(s.restartCount).toBe(1);
    expect(s.lastState!.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });

    clock.advance(1_000);
    runtime.crash(app('uid-1').at(-1)!.id, 2);
    await settle();
    s = last('web')!.status!.containerStatuses[0]!;
    expect(s.state!.waiting?.reason).toBe('CrashLoopBackOff');
    expect(s.state!.waiting?.message).toContain('back-off 10s');
    expect(s.restartCount).toBe(1);
    expect(last('web')!.status!.phase).toBe('Running');

    clock.advance(9_000);
    await settle();
    expect(last('web')!.status!.containerStatuses[0]!.state!.waiting?.reason).toBe('CrashLoopBackOff');
    clock.advance(1_000);
    await settle();
    s = last('web')!.status!.containerStatuses[0]!;
    expect(s.state!.running).toBeDefined();
    expect(s.restartCount).toBe(2);

    clock.advance(1_000);
    runtime.crash(app('uid-1').at(-1)!.id, 2);
    await settle();
    expect(last('web')!.status!.containerStatuses[0]!.state!.waiting?.message).toContain('back-off 20s');
    // Only the current and the previous container are kept.
    expect(app('uid-1')).toHaveLength(2);
  });

  const terminalCases = [
    { name: 'Never + exit 0 → Succeeded', policy: 'Never', exit: 0, phase: 'Succeeded', reason: 'Completed' },
    { name: 'Never + exit 3 → Failed', policy: 'Never', exit: 3, phase: 'Failed', reason: 'Error' },
    { name: 'OnFailure + exit 0 → Succeeded', policy: 'OnFailure', exit: 0, phase: 'Succeeded', reason: 'Completed' },
  ];
  it.each(terminalCases)('$name, and the sandbox is stopped', async ({ policy, exit, phase, reason }) => {
    const { runtime, reconciler, settle, last, app } = setup();
    reconciler.setDesired([pod('job', 'uid-1', { restartPolicy: policy })]);
    await settle();
    runtime.crash(app('uid-1')[0]!.id, exit);
    await settle();
    const status = last('job')!.status!;
    expect(status.phase).toBe(phase);
    expect(status.containerStatuses[0]!.state!.terminated).toMatchObject({ exitCode: exit, reason });
    expect(app('uid-1')).toHaveLength(1);
    expect(runtime.find({ [LABEL_CONTAINER_NAME]: INFRA_CONTAINER_NAME })[0]!.state).toBe('exited');
  });

  it('restarts a failed container under OnFailure', async () => {
    const { runtime, reconciler, settle, last, app } = setup();
    reconciler.setDesired([pod('job', 'uid-1', { restartPolicy: 'OnFailure' })]);
    await settle();
    runtime.crash(app('uid-1')[0]!.id, 1);
    await settle();
    expect(last('job')!.status!.phase).toBe('Running');
    expect(last('job')!.status!.containerStatuses[0]!.restartCount).toBe(1);
  });

  const imageCases = [
    {
      name: 'Never with a missing image → ErrImageNeverPull',
      image: 'missing:1', policy: 'Never', pullError: undefined,
      reason: 'ErrImageNeverPull', message: 'Container image "missing:1" is not present with pull policy of Never',
    },
    {
      name: 'a failed pull → ErrImagePull with the registry message',
      image: 'private/app:1', policy: 'IfNotPresent', pullError: 'pull access denied for private/app',
      reason: 'ErrImagePull', message: 'pull access denied for private/app',
    },
  ];
  it.each(imageCases)('$name', async ({ image, policy, pullError, reason, message }) => {
    const { runtime, reconciler, settle, updates } = setup();
    if (pullError) runtime.pullFailures.set(image, pullError);
    reconciler.setDesired([pod('web', 'uid-1', { containers: [{ name: 'app', image, imagePullPolicy: policy }] })]);
    await settle();
    // The first report names the failure; later ones within the back-off may say ImagePullBackOff.
    const status = updates[0]!.status!;
    expect(status.phase).toBe('Pending');
    expect(status.containerStatuses[0]!.state!.waiting!.reason).toBe(reason);
    expect(status.containerStatuses[0]!.state!.waiting!.message).toContain(message);
  });

  it('backs off image pulls (ImagePullBackOff) and runs the pod once the image can be pulled', async () => {
    const { clock, runtime, reconciler, settle, last } = setup();
    runtime.pullFailures.set('app:2', 'manifest unknown');
    reconciler.setDesired([pod('web', 'uid-1', { containers: [{ name: 'app', image: 'app:2' }] })]);
    await settle();
    clock.advance(5_000);
    await settle();
    expect(last('web')!.status!.containerStatuses[0]!.state!.waiting!.reason).toBe('ImagePullBackOff');
    expect(runtime.calls.filter((c) => c === 'pull app:2')).toHaveLength(1);
    runtime.pullFailures.delete('app:2');
    clock.advance(5_000);
    await settle();
    expect(last('web')!.status!.phase).toBe('Running');
  });

  it('reports a pod Docker cannot honour and leaves the other pods alone', async () => {
    const { runtime, reconciler, settle, last } = setup();
    runtime.takenHostPorts.add(8080);
    reconciler.setDesired([
      pod('taken', 'uid-1', { containers: [{ name: 'app', image: IMAGE, ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
      pod('tiny', 'uid-2', { containers: [{ name: 'app', image: IMAGE, resources: { limits: { memory: '1Mi' } } }] }),
      pod('ok', 'uid-3'),
    ]);
    await settle();
    const taken = last('taken')!.status!;
    expect(taken.reason).toBe('CreatePodSandboxError');
    expect(taken.message).toContain('port is already allocated');
    expect(taken.containerStatuses[0]!.state!.waiting!.reason).toBe('CreatePodSandboxError');
    expect(runtime.find({ [LABEL_POD_UID]: 'uid-1' })).toEqual([]);
    const tiny = last('tiny')!.status!.containerStatuses[0]!.state!.waiting!;
    expect(tiny.reason).toBe('CreateContainerError');
    expect(tiny.message).toContain('Minimum memory limit');
    expect(last('ok')!.status!.phase).toBe('Running');
  });

  it('sends a status only when it changed', async () => {
    const { reconciler, settle, updates } = setup();
    reconciler.setDesired([pod('web', 'uid-1')]);
    await settle();
    const count = updates.length;
    await reconciler.resyncAll();
    await settle();
    await reconciler.resyncAll();
    await settle();
    expect(updates.length).toBe(count);
    expect(reconciler.currentStatuses().map((u) => u.name)).toEqual(['web']);
  });

  it('lets periodic resyncs skip converged pods, but not pods whose containers changed', async () => {
    const { clock, runtime, reconciler, settle, app, last } = setup();
    reconciler.setDesired([pod('web', 'uid-1'), pod('db', 'uid-2')]);
    await settle();
    const before = runtime.inspections;
    clock.advance(10_000);
    await settle();
    clock.advance(10_000);
    await settle();
    expect(runtime.inspections).toBe(before);

    // A change Docker reports without an event (a missed event) is still found.
    const c = runtime.containers.get(app('uid-2')[0]!.id)!;
    c.state = 'exited';
    c.exitCode = 1;
    c.finishedAt = new Date(clock.now()).toISOString();
    clock.advance(10_000);
    await settle();
    expect(last('db')!.status!.containerStatuses[0]!.restartCount).toBe(1);
    expect(app('uid-2').at(-1)!.state).toBe('running');
  });

  describe('init containers', () => {
    const withInit = (policy = 'Always') => ({
      restartPolicy: policy,
      initContainers: [{ name: 'setup', image: IMAGE, command: ['sh', '-c', 'true'] }],
      containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }],
    });

    it('runs them to success before any app container, once', async () => {
      const { runtime, reconciler, make, settle, last, app } = setup();
      reconciler.setDesired([pod('web', 'uid-1', withInit())]);
      await settle();
      expect(app('uid-1')).toEqual([]);
      let status = last('web')!.status!;
      expect(status.phase).toBe('Pending');
      expect(status.conditions.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [setup]' });
      expect(status.containerStatuses[0]!.state!.waiting!.reason).toBe('PodInitializing');
      expect(status.initContainerStatuses[0]!.state!.running).toBeDefined();

      runtime.crash(app('uid-1', 'setup')[0]!.id, 0);
      await settle();
      status = last('web')!.status!;
      expect(status.phase).toBe('Running');
      expect(status.conditions.find((c) => c.type === 'Initialized')!.status).toBe('True');
      expect(status.initContainerStatuses[0]).toMatchObject({ ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
      expect(app('uid-1')[0]!.state).toBe('running');

      // A restarted agent does not run the init container again.
      await reconciler.stop();
      const before = runtime.calls.length;
      const again = make();
      again.start();
      again.setDesired([pod('web', 'uid-1', withInit())]);
      await settle(again);
      expect(runtime.calls.slice(before)).toEqual([]);
      await again.stop();
    });

    it('retries a failed init container in an Always pod', async () => {
      const { runtime, reconciler, settle, last, app } = setup();
      reconciler.setDesired([pod('web', 'uid-1', withInit())]);
      await settle();
      runtime.crash(app('uid-1', 'setup')[0]!.id, 1);
      await settle();
      const status = last('web')!.status!;
      expect(status.initContainerStatuses[0]!.restartCount).toBe(1);
      expect(status.phase).toBe('Pending');
      expect(app('uid-1')).toEqual([]);
    });

    it('fails a Never pod whose init container failed, without running its apps', async () => {
      const { runtime, reconciler, settle, last, app } = setup();
      reconciler.setDesired([pod('job', 'uid-1', withInit('Never'))]);
      await settle();
      runtime.crash(app('uid-1', 'setup')[0]!.id, 2);
      await settle();
      expect(last('job')!.status!.phase).toBe('Failed');
      expect(app('uid-1')).toEqual([]);
      expect(runtime.find({ [LABEL_CONTAINER_NAME]: INFRA_CONTAINER_NAME })[0]!.state).toBe('exited');
    });
  });

  it('watches events again after the engine restarted and brings the pods back', async () => {
    const { clock, runtime, reconciler, settle, last } = setup();
    reconciler.setDesired([pod('web', 'uid-1')]);
    await settle();
    // dockerd goes down: the stream breaks and every container stops with it, unseen.
    runtime.breakEventStreams();
    runtime.silent = true;
    for (const c of runtime.containers.values()) runtime.crash(c.id, 255);
    runtime.silent = false;
    expect(runtime.eventStreams).toBe(0);
    clock.advance(1_000);
    await settle();
    expect(runtime.eventStreams).toBe(1);
    const infras = runtime.find({ [LABEL_CONTAINER_NAME]: INFRA_CONTAINER_NAME });
    expect(infras.filter((c) => c.state === 'running')).toHaveLength(1);
    expect(last('web')!.status!.phase).toBe('Running');
    expect(last('web')!.status!.containerStatuses[0]!.state!.running).toBeDefined();
  });

  it('watches again at once when told the engine is back, instead of after the backed-off retry', async () => {
    const { clock, runtime, reconciler, settle, last } = setup();
    reconciler.setDesired([pod('web', 'uid-1')]);
    await settle();
    // Several failed watches: the next retry is seconds away.
    for (let i = 0; i < 3; i++) {
      runtime.breakEventStreams();
      clock.advance(1_000 * 2 ** i);
      await settle();
    }
    runtime.breakEventStreams();
    runtime.silent = true;
    for (const c of runtime.containers.values()) runtime.crash(c.id, 255);
    runtime.silent = false;
    expect(runtime.eventStreams).toBe(0);
    reconciler.engineBack();
    await settle();
    expect(runtime.eventStreams).toBe(1);
    expect(last('web')!.status!.containerStatuses[0]!.state!.running).toBeDefined();
    // The cancelled retry opens no second stream later; a second call changes nothing.
    reconciler.engineBack();
    clock.advance(60_000);
    await settle();
    expect(runtime.eventStreams).toBe(1);
  });

  it('shares a pod\'s emptyDir between its containers and removes it with the pod', async () => {
    const { runtime, reconciler, settle, updates } = setup();
    const spec = {
      volumes: [{ name: 'shared', emptyDir: {} }],
      containers: [
        { name: 'writer', image: IMAGE, volumeMounts: [{ name: 'shared', mountPath: '/out' }] },
        { name: 'reader', image: IMAGE, volumeMounts: [{ name: 'shared', mountPath: '/in', readOnly: true }] },
      ],
    };
    reconciler.setDesired([pod('web', 'uid-1', spec)]);
    await settle();
    const sources = [...runtime.containers.values()].flatMap((c) => c.spec.mounts ?? []).map((m) => m.source);
    expect(sources).toEqual(['orchard_uid-1_shared', 'orchard_uid-1_shared']);
    expect([...runtime.volumes.keys()]).toEqual(['orchard_uid-1_shared']);

    reconciler.setDesired([pod('web', 'uid-1', spec, { deletionTimestamp: '2026-11-25T12:00:05Z', deletionGracePeriodSeconds: 0 })]);
    await settle();
    expect(updates.some((u) => u.deleted)).toBe(true);
    expect(runtime.volumes.size).toBe(0);
  });

  it('removes the volumes of a pod that is gone even without containers', async () => {
    const { runtime, reconciler, settle } = setup();
    runtime.volumes.set('orchard_uid-9_cache', { 'io.orchard.node': NODE, 'io.orchard.pod.uid': 'uid-9' });
    runtime.volumes.set('someone-elses', { 'io.orchard.node': 'other-node', 'io.orchard.pod.uid': 'uid-8' });
    reconciler.setDesired([]);
    await settle();
    expect([...runtime.volumes.keys()]).toEqual(['someone-elses']);
  });

  it('brings a pod back in a new sandbox when its infra container died', async () => {
    const { runtime, reconciler, settle, last } = setup();
    reconciler.setDesired([pod('web', 'uid-1')]);
    await settle();
    const infra = runtime.find({ [LABEL_CONTAINER_NAME]: INFRA_CONTAINER_NAME })[0]!;
    runtime.crash(infra.id, 137);
    await settle();
    const infras = runtime.find({ [LABEL_CONTAINER_NAME]: INFRA_CONTAINER_NAME });
    expect(infras).toHaveLength(1);
    expect(infras[0]!.id).not.toBe(infra.id);
    expect(infras[0]!.state).toBe('running');
    const status = last('web')!.status!;
    expect(status.phase).toBe('Running');
    expect(status.podIp).toBe(infras[0]!.ipAddress);
  });
});

describe('PodReconciler with desired sets resent', () => {
  // The master resends the node's set on every status write of one of its pods.
  async function inspectionsFor(resends: number): Promise<number> {
    const { runtime, reconciler, settle } = setup();
    // No Docker events: they queue the pods again by themselves.
    runtime.silent = true;
    const pods = [pod('a', 'uid-a'), pod('b', 'uid-b'), pod('c', 'uid-c')];
    reconciler.setDesired(pods);
    // Resent while the first syncs run, as a burst of status writes does.
    for (let i = 0; i < resends; i++) reconciler.setDesired(pods.map((p) => Pod.fromPartial(p)));
    await settle();
    expect(runtime.find({ [LABEL_CONTAINER_NAME]: 'app' }).filter((c) => c.state === 'running')).toHaveLength(3);
    await reconciler.stop();
    return runtime.inspections;
  }

  // One sync per new pod inspects three times: its infra container once started, then
  // both of its containers once the app runs. A second sync would inspect them again.
  const cases = [
    { name: 'a new set starts each pod in one sync', resends: 0 },
    { name: 'the same set arriving again while they start syncs none of them again', resends: 5 },
  ];
  for (const c of cases) it(c.name, async () => expect(await inspectionsFor(c.resends)).toBe(3 * 3));

  it('still removes the containers of a pod that left the set', async () => {
    const { runtime, reconciler, settle } = setup();
    reconciler.setDesired([pod('a', 'uid-a'), pod('b', 'uid-b')]);
    await settle();
    reconciler.setDesired([pod('a', 'uid-a')]);
    await settle();
    expect(runtime.find({ [LABEL_POD_UID]: 'uid-b' })).toHaveLength(0);
    expect(runtime.find({ [LABEL_POD_UID]: 'uid-a' }).length).toBeGreaterThan(0);
    await reconciler.stop();
  });
});
