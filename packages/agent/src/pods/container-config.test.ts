import { describe, expect, it } from 'vitest';
import { ConfigMap, Pod, Secret, type Container } from '@orchard/api';
import { PodConfig } from './pod-config';
import { ContainerConfigError, appContainerSpec, expandVars, infraContainerSpec } from './container-config';

function podWith(container: Record<string, unknown>, extra: Record<string, unknown> = {}): Pod {
  return Pod.fromPartial({
    metadata: { name: 'web', namespace: 'shop', uid: 'abcdef12-3456', labels: { app: 'web' } },
    spec: { nodeName: 'pi1', containers: [{ name: 'app', image: 'busybox:1', ...container }], ...extra },
  });
}

const ctx = { nodeName: 'pi1', infraId: 'infra123', podIP: '172.17.0.5', hostIP: '192.168.77.11', attempt: 2 };
const spec = (p: Pod) => appContainerSpec(p, p.spec!.containers[0] as Container, ctx);

describe('appContainerSpec', () => {
  const commandCases = [
    { name: 'neither keeps ENTRYPOINT and CMD', c: {}, entrypoint: undefined, cmd: undefined },
    { name: 'command replaces ENTRYPOINT and drops CMD', c: { command: ['httpd', '-f'] }, entrypoint: ['httpd', '-f'], cmd: [] },
    { name: 'args alone keep ENTRYPOINT, replace CMD', c: { args: ['-p', '80'] }, entrypoint: undefined, cmd: ['-p', '80'] },
    { name: 'command and args', c: { command: ['sh', '-c'], args: ['echo hi'] }, entrypoint: ['sh', '-c'], cmd: ['echo hi'] },
    {
      name: '$(VAR) in args expands from env',
      c: { command: ['echo'], args: ['$(GREETING) $(MISSING) $$(GREETING)'], env: [{ name: 'GREETING', value: 'hello' }] },
      entrypoint: ['echo'],
      cmd: ['hello $(MISSING) $(GREETING)'],
    },
  ];
  it.each(commandCases)('$name', ({ c, entrypoint, cmd }) => {
    const s = spec(podWith(c));
    expect(s.entrypoint).toEqual(entrypoint);
    expect(s.cmd).toEqual(cmd);
  });

  const envCases = [
    { name: 'plain value', env: [{ name: 'A', value: '1' }], want: ['A=1'] },
    { name: 'metadata.name', env: [{ name: 'P', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], want: ['P=web'] },
    { name: 'metadata.namespace', env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }], want: ['N=shop'] },
    { name: 'status.podIP', env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }], want: ['IP=172.17.0.5'] },
    { name: 'spec.nodeName', env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }], want: ['NODE=pi1'] },
    { name: 'a label', env: [{ name: 'L', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }], want: ['L=web'] },
    {
      name: 'reference to an earlier variable',
      env: [{ name: 'HOST', value: 'db' }, { name: 'URL', value: 'http://$(HOST):5432' }],
      want: ['HOST=db', 'URL=http://db:5432'],
    },
    { name: 'a later duplicate wins', env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }], want: ['A=2'] },
  ];
  it.each(envCases)('env: $name', ({ env, want }) => {
    expect(spec(podWith({ env })).env).toEqual(want);
  });

  const resourceCases = [
    { name: 'no resources: minimum shares, no limits', resources: undefined, nanoCpus: undefined, cpuShares: 2, memoryBytes: undefined },
    {
      name: 'limits and requests',
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
      nanoCpus: 500_000_000,
      cpuShares: 256,
      memoryBytes: 134_217_728,
    },
    { name: 'whole cores', resources: { limits: { cpu: '2' } }, nanoCpus: 2_000_000_000, cpuShares: 2048, memoryBytes: undefined },
    { name: 'decimal memory', resources: { limits: { memory: '500M' } }, nanoCpus: undefined, cpuShares: 2, memoryBytes: 500_000_000 },
    { name: 'request only', resources: { requests: { cpu: '100m' } }, nanoCpus: undefined, cpuShares: 102, memoryBytes: undefined },
  ];
  it.each(resourceCases)('resources: $name', ({ resources, nanoCpus, cpuShares, memoryBytes }) => {
    const s = spec(podWith({ resources }));
    expect(s.nanoCpus).toBe(nanoCpus);
    expect(s.cpuShares).toBe(cpuShares);
    expect(s.memoryBytes).toBe(memoryBytes);
  });

  const securityCases = [
    { name: 'user and group', c: { securityContext: { runAsUser: 1000, runAsGroup: 3000 } }, pod: {}, want: { user: '1000:3000' } },
    { name: 'pod user, container group', c: { securityContext: { runAsGroup: 5 } }, pod: { securityContext: { runAsUser: 7 } }, want: { user: '7:5' } },
    { name: 'container user wins', c: { securityContext: { runAsUser: 1 } }, pod: { securityContext: { runAsUser: 2 } }, want: { user: '1' } },
    { name: 'supplemental groups and fsGroup', c: {}, pod: { securityContext: { supplementalGroups: [10, 20], fsGroup: 30 } }, want: { groupAdd: ['10', '20', '30'] } },
    {
      name: 'privileged, read-only root, capabilities, no escalation',
      c: { securityContext: { privileged: true, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, allowPrivilegeEscalation: false } },
      pod: {},
      want: { privileged: true, readOnlyRootfs: true, capAdd: ['NET_ADMIN'], capDrop: ['ALL'], securityOpt: ['no-new-privileges'] },
    },
  ];
  it.each(securityCases)('securityContext: $name', ({ c, pod, want }) => {
    expect(spec(podWith(c, pod))).toMatchObject(want);
  });

  const volumes = [
    { name: 'cache', emptyDir: {} },
    { name: 'shm', emptyDir: { medium: 'Memory' } },
    { name: 'logs', hostPath: { path: '/var/log' } },
    { name: 'db', persistentVolumeClaim: { claimName: 'pgdata' } },
    { name: 'cfg', configMap: { name: 'app-config' } },
  ];
  const mountCases = [
    {
      name: 'emptyDir as a labelled volume of the pod',
      mounts: [{ name: 'cache', mountPath: '/cache' }],
      want: [{ type: 'volume', source: 'orchard_abcdef12-3456_cache', target: '/cache', readOnly: false, tmpfs: false, labels: { 'io.orchard.pod.uid': 'abcdef12-3456', 'io.orchard.node': 'pi1', 'io.orchard.volume.name': 'cache' } }],
    },
    { name: 'emptyDir in memory', mounts: [{ name: 'shm', mountPath: '/dev/shm' }], want: [{ type: 'volume', target: '/dev/shm', tmpfs: true }] },
    {
      name: 'hostPath with subPath, read-only',
      mounts: [{ name: 'logs', mountPath: '/logs', subPath: 'app', readOnly: true }],
      want: [{ type: 'bind', source: '/var/log/app', target: '/logs', readOnly: true }],
    },
    { name: 'claim as a named volume', mounts: [{ name: 'db', mountPath: '/var/lib/db' }], want: [{ type: 'volume', source: 'pgdata', target: '/var/lib/db', readOnly: false }] },
  ];
  it.each(mountCases)('volumeMounts: $name', ({ mounts, want }) => {
    expect(spec(podWith({ volumeMounts: mounts }, { volumes })).mounts).toMatchObject(want);
  });

  const mountErrors = [
    { name: 'an undefined volume', mounts: [{ name: 'nope', mountPath: '/x' }], message: 'spec.containers[app].volumeMounts[0].name: volume "nope" is not defined in spec.volumes' },
    { name: 'a configMap volume', mounts: [{ name: 'cfg', mountPath: '/etc/app' }], message: 'spec.containers[app].volumeMounts[0]: volume "cfg" has not been set up' },
    { name: 'a configMap volume whose ConfigMap is missing', mounts: [{ name: 'cfg', mountPath: '/etc/app' }], projected: new Map([['cfg', { dir: '', paths: new Set<string>(), error: 'MountVolume.SetUp failed for volume "cfg": configmap "app-config" not found' }]]), message: 'configmap "app-config" not found' },
    { name: 'a subPath that is not a key', mounts: [{ name: 'cfg', mountPath: '/etc/app.conf', subPath: 'other.conf' }], projected: new Map([['cfg', { dir: '/data/pods/u/volumes/cfg', paths: new Set(['app.conf']) }]]), message: 'volumeMounts[0].subPath: "other.conf" is not a file of volume "cfg"' },
    { name: 'a subPath escaping the volume', mounts: [{ name: 'logs', mountPath: '/x', subPath: '../etc' }], message: 'volumeMounts[0].subPath: must be a relative path without ".."' },
    { name: 'a relative mount path', mounts: [{ name: 'cache', mountPath: 'cache' }], message: 'volumeMounts[0].mountPath: must be an absolute path' },
  ];
  it.each(mountErrors)('volumeMounts: rejects $name', ({ mounts, message, projected }) => {
    const p = podWith({ volumeMounts: mounts }, { volumes });
    expect(() => appContainerSpec(p, p.spec!.containers[0] as Container, { ...ctx, projected })).toThrow(message);
  });

  const projected = new Map([['cfg', { dir: '/data/pods/u/volumes/cfg', paths: new Set(['app.conf']) }]]);
  const projectedCases = [
    { name: 'the whole directory, read-only', mounts: [{ name: 'cfg', mountPath: '/etc/app' }], want: [{ type: 'bind', source: '/data/pods/u/volumes/cfg', target: '/etc/app', readOnly: true }] },
    { name: 'one key by subPath', mounts: [{ name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' }], want: [{ type: 'bind', source: '/data/pods/u/volumes/cfg/app.conf', target: '/etc/app.conf', readOnly: true }] },
  ];
  it.each(projectedCases)('volumeMounts: configMap volume as $name', ({ mounts, want }) => {
    const p = podWith({ volumeMounts: mounts }, { volumes });
    expect(appContainerSpec(p, p.spec!.containers[0] as Container, { ...ctx, projected }).mounts).toEqual(want);
  });

  it('env: ConfigMap and Secret references and envFrom, env winning over envFrom', () => {
    const config = new PodConfig();
    config.set(
      [ConfigMap.fromPartial({ metadata: { name: 'app', namespace: 'shop' }, data: { MODE: 'fast', LEVEL: 'info' } })],
      [Secret.fromPartial({ metadata: { name: 'db', namespace: 'shop' }, data: { PASSWORD: Buffer.from('s3cret') } })],
    );
    const p = podWith({
      envFrom: [{ prefix: 'APP_', configMapRef: { name: 'app' } }],
      env: [
        { name: 'APP_MODE', value: 'slow' },
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'PASSWORD' } } },
        { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'app', key: 'LEVEL' } } },
        { name: 'OPTIONAL', valueFrom: { configMapKeyRef: { name: 'app', key: 'NOPE', optional: true } } },
        { name: 'URL', value: 'db://$(DB_PASSWORD)@db' },
      ],
    });
    const s = appContainerSpec(p, p.spec!.containers[0] as Container, { ...ctx, config });
    expect(s.env.sort()).toEqual(['APP_LEVEL=info', 'APP_MODE=slow', 'DB_PASSWORD=s3cret', 'LEVEL=info', 'URL=db://s3cret@db'].sort());
  });

  it('securityContext: nothing set leaves Docker defaults', () => {
    const s = spec(podWith({}));
    for (const k of ['user', 'groupAdd', 'privileged', 'readOnlyRootfs', 'capAdd', 'capDrop', 'securityOpt'] as const) expect(s[k]).toBeUndefined();
  });

  it('hashes the pod securityContext only when it is set', () => {
    const plain = spec(podWith({})).labels['io.orchard.spec.hash'];
    const secured = spec(podWith({}, { securityContext: { runAsUser: 1000 } })).labels['io.orchard.spec.hash'];
    expect(secured).not.toBe(plain);
  });

  const errorCases = [
    {
      name: 'runAsNonRoot with user 0',
      c: { securityContext: { runAsNonRoot: true, runAsUser: 0 } },
      message: "spec.containers[app].securityContext.runAsNonRoot: container's runAsUser breaks non-root policy",
    },
    {
      name: 'a group without a user',
      c: { securityContext: { runAsGroup: 5 } },
      message: 'spec.containers[app].securityContext.runAsGroup: needs runAsUser as well',
    },
    {
      name: 'malformed cpu limit',
      c: { resources: { limits: { cpu: 'lots' } } },
      message: 'spec.containers[app].resources.limits.cpu: invalid quantity "lots"',
    },
    {
      name: 'configMapKeyRef to a missing ConfigMap',
      c: { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } }] },
      message: 'configmap "cfg" not found',
    },
    {
      name: 'unknown field path',
      c: { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } }] },
      message: 'spec.containers[app].env[0].valueFrom.fieldRef.fieldPath: unsupported field path "spec.serviceAccountName"',
    },
  ];
  it.each(errorCases)('rejects $name', ({ c, message }) => {
    expect(() => spec(podWith(c))).toThrow(ContainerConfigError);
    expect(() => spec(podWith(c))).toThrow(message);
  });

  it('joins the infra network, names and labels the container, restarts nothing itself', () => {
    const s = spec(podWith({ workingDir: '/srv' }));
    expect(s).toMatchObject({
      name: 'orchard_shop_web_app_abcdef12_2',
      image: 'busybox:1',
      networkMode: 'container:infra123',
      workingDir: '/srv',
      portBindings: [],
      labels: {
        'io.orchard.pod.uid': 'abcdef12-3456',
        'io.orchard.pod.name': 'web',
        'io.orchard.pod.namespace': 'shop',
        'io.orchard.container.name': 'app',
        'io.orchard.node': 'pi1',
        'io.orchard.container.attempt': '2',
      },
    });
    expect(s.labels['io.orchard.spec.hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(s.hostname).toBeUndefined();
  });

  it('gives equal specs equal hashes and changed specs different ones', () => {
    const hash = (c: Record<string, unknown>) => spec(podWith(c)).labels['io.orchard.spec.hash'];
    const base = { command: ['sleep', '1'], resources: { limits: { cpu: '1', memory: '1Gi' } } };
    const reordered = { resources: { limits: { memory: '1Gi', cpu: '1' } }, command: ['sleep', '1'] };
    expect(hash(base)).toBe(hash(reordered));
    expect(hash(base)).not.toBe(hash({ ...base, command: ['sleep', '2'] }));
  });
});

describe('infraContainerSpec', () => {
  it('publishes hostPorts of every container and owns the pod network', () => {
    const pod = Pod.fromPartial({
      metadata: { name: 'web', namespace: 'default', uid: '11112222-3333' },
      spec: {
        containers: [
          { name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 9090 }] },
          { name: 'b', image: 'y', ports: [{ containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIp: '127.0.0.1' }] },
        ],
      },
    });
    const s = infraContainerSpec(pod, 'pause:3.10', 'pi1');
    expect(s).toMatchObject({
      name: 'orchard_default_web_POD_11112222_0',
      image: 'pause:3.10',
      hostname: 'web',
      networkMode: 'bridge',
      exposedPorts: ['80/tcp', '9090/tcp', '53/udp'],
      portBindings: [
        { containerPort: 80, protocol: 'tcp', hostPort: 8080, hostIp: '' },
        { containerPort: 53, protocol: 'udp', hostPort: 5353, hostIp: '127.0.0.1' },
      ],
    });
    expect(s.labels['io.orchard.container.name']).toBe('POD');
  });

  it('uses the node network for a hostNetwork pod, publishing nothing', () => {
    const pod = Pod.fromPartial({
      metadata: { name: 'exporter', namespace: 'default', uid: '11112222-3333' },
      spec: { hostNetwork: true, containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 9100, hostPort: 9100 }] }] },
    });
    const s = infraContainerSpec(pod, 'pause:3.10', 'pi1');
    expect(s).toMatchObject({ networkMode: 'host', exposedPorts: [], portBindings: [] });
    expect(s.hostname).toBeUndefined();
    const bridged = Pod.fromPartial({ ...pod, spec: { ...pod.spec!, hostNetwork: false } });
    expect(s.labels['io.orchard.spec.hash']).not.toBe(infraContainerSpec(bridged, 'pause:3.10', 'pi1').labels['io.orchard.spec.hash']);
  });
});

describe('expandVars', () => {
  const vars = new Map([['A', 'x']]);
  it.each([
    { name: 'known', s: '$(A)', want: 'x' },
    { name: 'unknown kept', s: '$(B)', want: '$(B)' },
    { name: 'escaped', s: '$$(A)', want: '$(A)' },
    { name: 'plain dollar', s: '$A', want: '$A' },
  ])('$name', ({ s, want }) => expect(expandVars(s, vars)).toBe(want));
});
