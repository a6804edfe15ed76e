import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { RuntimeEvent } from './container-runtime';
import { DockerRuntime, parseEvent, toRuntimeError } from './docker-runtime';
import { ContainerNotFoundError, ImagePullError, RuntimeConflictError, RuntimeError, RuntimeUnavailableError } from './errors';

// Talks to the host's real dockerd with the locally built test images, and creates
// and removes only containers carrying this run's label.
const SOCKET = '/var/run/docker.sock';
const RUN = `docker-runtime-test-${randomBytes(4).toString('hex')}`;
const LABELS = { 'io.orchard.node': RUN };

describe.runIf(existsSync(SOCKET))('DockerRuntime (real dockerd)', () => {
  const rt = new DockerRuntime(SOCKET);

  afterAll(async () => {
    for (const c of await rt.listContainers(LABELS)) await rt.removeContainer(c.id);
    for (const v of await rt.listVolumes(LABELS)) await rt.removeVolume(v.name);
  });

  it('creates, starts, inspects, stops and removes a labelled container; events follow', async () => {
    const events: RuntimeEvent[] = [];
    const sub = rt.watchEvents(LABELS, (e) => events.push(e), () => undefined);
    try {
      const infraId = await rt.createContainer({
        name: `${RUN}-infra`,
        image: 'orchard-test/pause:1',
        labels: { ...LABELS, 'io.orchard.container.name': 'POD' },
        env: [],
        hostname: 'web',
        networkMode: 'bridge',
        exposedPorts: ['80/tcp'],
        portBindings: [],
      });
      await rt.startContainer(infraId);
      const id = await rt.createContainer({
        name: `${RUN}-app`,
        image: 'orchard-test/busybox:1',
        labels: { ...LABELS, 'io.orchard.container.name': 'app' },
        entrypoint: ['sh', '-c'],
        cmd: ['echo $GREETING; sleep 300'],
        env: ['GREETING=hi'],
        workingDir: '/',
        networkMode: `container:${infraId}`,
        exposedPorts: [],
        portBindings: [],
        nanoCpus: 500_000_000,
        cpuShares: 256,
        memoryBytes: 64 * 1024 * 1024,
        // The securityContext mapping, accepted by the engine as a whole.
        user: '1000:1000',
        groupAdd: ['2000'],
        readOnlyRootfs: true,
        capAdd: ['NET_BIND_SERVICE'],
        capDrop: ['ALL'],
        securityOpt: ['no-new-privileges'],
      });
      await rt.startContainer(id);

      const infra = await rt.inspectContainer(infraId);
      expect(infra.state).toBe('running');
      expect(infra.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const app = await rt.inspectContainer(id);
      expect(app).toMatchObject({ state: 'running', name: `${RUN}-app`, image: 'orchard-test/busybox:1', finishedAt: '' });
      expect(app.imageId).toMatch(/^sha256:/);
      expect(Date.parse(app.startedAt)).toBeGreaterThan(0);

      const listed = await rt.listContainers(LABELS);
      expect(listed.map((c) => c.name).sort()).toEqual([`${RUN}-app`, `${RUN}-infra`]);

      await rt.stopContainer(id, 0);
      await rt.stopContainer(id, 0); // already stopped: fine
      const stopped = await rt.inspectContainer(id);
      expect(stopped.state).toBe('exited');
      expect(stopped.exitCode).toBe(137);

      await rt.removeContainer(id);
      await rt.removeContainer(id); // already gone: fine
      await expect(rt.inspectContainer(id)).rejects.toBeInstanceOf(ContainerNotFoundError);
      await rt.removeContainer(infraId);

      for (let i = 0; i < 50 && !events.some((e) => e.action === 'destroy'); i++) await new Promise((r) => setTimeout(r, 50));
      const actions = events.filter((e) => e.containerId === id).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['start', 'die', 'destroy']));
      expect(events.find((e) => e.containerId === id)!.labels['io.orchard.container.name']).toBe('app');
    } finally {
      sub.close();
    }
  });

  it('keeps a start error on the container, as the reconciler expects', async () => {
    const id = await rt.createContainer({
      name: `${RUN}-bad`,
      image: 'orchard-test/busybox:1',
      labels: LABELS,
      entrypoint: ['/no/such/binary'],
      env: [],
      networkMode: 'bridge',
      exposedPorts: [],
      portBindings: [],
    });
    await expect(rt.startContainer(id)).rejects.toThrow(/failed to start container .*no such file or directory/);
    const c = await rt.inspectContainer(id);
    expect(c.error).toMatch(/no such file or directory/);
    expect(['created', 'exited']).toContain(c.state);
    await rt.removeContainer(id);
  });

  it('mounts labelled named volumes (tmpfs too) and binds, and removes volumes', async () => {
    const vol = `${RUN}-mem`;
    const id = await rt.createContainer({
      name: `${RUN}-mounts`,
      image: 'orchard-test/busybox:1',
      labels: LABELS,
      entrypoint: ['sh', '-c', 'grep -q " /mem tmpfs" /proc/mounts && test -d /host/etc && touch /mem/ok'],
      env: [],
      networkMode: 'bridge',
      exposedPorts: [],
      portBindings: [],
      mounts: [
        { type: 'volume', source: vol, target: '/mem', readOnly: false, labels: LABELS, tmpfs: true },
        { type: 'bind', source: '/etc', target: '/host/etc', readOnly: true },
      ],
    });
    await rt.startContainer(id);
    for (let i = 0; i < 50 && (await rt.inspectContainer(id)).state === 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await rt.inspectContainer(id)).exitCode).toBe(0);
    expect((await rt.listVolumes(LABELS)).map((v) => v.name)).toEqual([vol]);
    await rt.removeContainer(id);
    await rt.removeVolume(vol);
    await rt.removeVolume(vol); // already gone: fine
    expect(await rt.listVolumes(LABELS)).toEqual([]);
  });

  it('answers image presence and fails pulls with the registry message', async () => {
    expect(await rt.imagePresent('orchard-test/busybox:1')).toBe(true);
    expect(await rt.imagePresent('orchard-test/none:1')).toBe(false);
    const err = await rt.pullImage('127.0.0.1:1/none:1').catch((e) => e);
    expect(err).toBeInstanceOf(ImagePullError);
    expect(err.message).toMatch(/^failed to pull image 127.0.0.1:1\/none:1: .*(connection refused|connect)/);
  });

  it('runs a command in a container for probes: exit code, output, timeout', async () => {
    const id = await rt.createContainer({
      name: `${RUN}-exec`,
      image: 'orchard-test/busybox:1',
      labels: { ...LABELS, 'io.orchard.container.name': 'exec' },
      cmd: ['sleep', '300'],
      env: [],
      networkMode: 'none',
      exposedPorts: [],
      portBindings: [],
    });
    await rt.startContainer(id);
    // Both streams are kept (their relative order is the engine's).
    const r = await rt.execProbe(id, ['sh', '-c', 'echo out; echo err >&2; exit 3'], 5_000);
    expect(r.exitCode).toBe(3);
    expect(r.output.split('\n').sort()).toEqual(['', 'err', 'out']);
    expect(await rt.execProbe(id, ['true'], 5_000)).toEqual({ exitCode: 0, output: '' });
    // Output is cut at 10 KiB.
    const big = await rt.execProbe(id, ['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo 0123456789; i=$((i+1)); done'], 10_000);
    expect(big.output.length).toBe(10 * 1024);
    await expect(rt.execProbe(id, ['sleep', '5'], 300)).rejects.toThrow(/timed out after 300 ms/);
    await rt.stopContainer(id, 0);
    await expect(rt.execProbe(id, ['true'], 5_000)).rejects.toThrow(RuntimeError);
  });

  it('reads engine info', async () => {
    const info = await rt.info();
    expect(info.version).toMatch(/^\d+\.\d+/);
    expect(info.apiVersion).toMatch(/^1\.\d+$/);
    expect(['1', '2']).toContain(info.cgroupVersion);
  });
});

describe('parseEvent', () => {
  it.each([
    {
      name: 'a container event',
      line: '{"Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"io.orchard.pod.uid":"u1","exitCode":"1"}},"time":1,"timeNano":1500000000}',
      want: { action: 'die', containerId: 'abc', labels: { 'io.orchard.pod.uid': 'u1', exitCode: '1' }, time: 1500 },
    },
    { name: 'exec events keep only the action', line: '{"Type":"container","Action":"exec_start: sh","Actor":{"ID":"abc"}}', want: { action: 'exec_start', containerId: 'abc' } },
    { name: 'a network event is ignored', line: '{"Type":"network","Action":"connect","Actor":{"ID":"n"}}', want: undefined },
    { name: 'garbage is ignored', line: 'not json', want: undefined },
  ])('$name', ({ line, want }) => {
    const got = parseEvent(line);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject(want);
  });
});

describe('toRuntimeError', () => {
  it.each([
    {
      name: '404 → not found, engine text kept',
      err: { statusCode: 404, json: { message: 'No such container: abc' }, message: '(HTTP code 404) no such container - No such container: abc' },
      type: ContainerNotFoundError,
      message: 'failed to inspect container abc: No such container: abc',
    },
    {
      name: '409 → conflict',
      err: { statusCode: 409, json: { message: 'Conflict. The container name "/x" is already in use' } },
      type: RuntimeConflictError,
      message: 'failed to inspect container abc: Conflict. The container name "/x" is already in use',
    },
    {
      name: 'dockerode prefix without json is stripped',
      err: { statusCode: 500, message: '(HTTP code 500) server error - Get "http://127.0.0.1:1/v2/": connection refused' },
      type: RuntimeError,
      message: 'failed to inspect container abc: Get "http://127.0.0.1:1/v2/": connection refused',
    },
    {
      name: 'socket missing → unavailable',
      err: Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }),
      type: RuntimeUnavailableError,
      message: 'failed to inspect container abc: connect ENOENT /var/run/docker.sock',
    },
  ])('$name', ({ err, type, message }) => {
    const e = toRuntimeError('failed to inspect container abc', err);
    expect(e).toBeInstanceOf(type);
    expect(e.message).toBe(message);
    expect(e.cause).toBe(err);
  });
});
