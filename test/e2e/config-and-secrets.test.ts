import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { describeResult, orchardOk, waitFor } from '../bed/cli';
import { docker } from '../bed/docker';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { nodeEngine, type SimNode } from '../bed/netns-node';
import { useCluster } from '../bed/use-cluster';

// Issue 3, ConfigMaps and Secrets: env from their keys, files in the container refreshed
// when the object changes (same container, no restart), and a missing key reported as
// CreateContainerConfigError without disturbing other pods.

const bed = inject('bed');
const c = useCluster(bed, { name: 'config-and-secrets' });

function configMap(appConf: string, extra = ''): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  MODE: fast
  app.conf: "${appConf}"
${extra}`;
}

const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: db-secret
type: Opaque
stringData:
  password: s3cret-value
data:
  user: YWRtaW4=
`;

const READER_POD = `apiVersion: v1
kind: Pod
metadata:
  name: reader
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
      env:
        - name: MODE
          valueFrom:
            configMapKeyRef: { name: app-config, key: MODE }
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef: { name: db-secret, key: password }
        - name: NOT_THERE
          valueFrom:
            configMapKeyRef: { name: app-config, key: absent, optional: true }
      envFrom:
        - prefix: DB_
          secretRef: { name: db-secret }
      volumeMounts:
        - { name: config, mountPath: /etc/app }
        - { name: config, mountPath: /etc/mode, subPath: MODE }
        - { name: creds, mountPath: /etc/db, readOnly: true }
  volumes:
    - name: config
      configMap: { name: app-config }
    - name: creds
      secret:
        secretName: db-secret
        defaultMode: 0400
        items:
          - { key: password, path: db/password }
`;

const BROKEN_POD = `apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
      env:
        - name: LEVEL
          valueFrom:
            configMapKeyRef: { name: app-config, key: LEVEL }
`;

async function apply(name: string, text: string): Promise<void> {
  const file = c().manifestFile(name, text);
  const r = await c().cli(['apply', '-f', file]);
  expect(r.code, describeResult(['apply', '-f', file], r)).toBe(0);
}

function nodeOf(pod: Record<string, any>): SimNode {
  const n = bed.nodes.find((x) => x.name === pod.spec?.nodeName);
  if (!n) throw new Error(`pod ${pod.metadata?.name} is on no simulated node (${pod.spec?.nodeName})`);
  return n;
}

/** The running Docker container of a pod's container, through the node's own dockerd. */
async function containerId(node: SimNode, pod: string, container = 'main'): Promise<string> {
  const list = await c().podContainers(node, pod);
  const found = list.find((x) => x.labels['io.orchard.container.name'] === container && x.running);
  if (!found) throw new Error(`no running container ${container} of pod ${pod} on ${node.name}: ${JSON.stringify(list.map((x) => [x.name, x.status]))}`);
  return found.id;
}

async function execIn(node: SimNode, id: string, cmd: string[]): Promise<string> {
  const r = await docker(nodeEngine(node), ['exec', id, ...cmd], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`docker exec ${cmd.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

describe('a pod reading a ConfigMap and a Secret', () => {
  let node: SimNode;
  let id = '';

  it('runs with env from their keys and envFrom, optional missing keys left unset', async () => {
    await apply('config.yaml', `${configMap('version=1')}---\n${SECRET}`);
    await apply('reader.yaml', READER_POD);
    const pod = await c().waitPodPhase('reader', 'Running', 30_000);
    node = nodeOf(pod);
    id = await containerId(node, 'reader');
    const env = Object.fromEntries(
      (await execIn(node, id, ['env']))
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env.MODE).toBe('fast');
    expect(env.DB_PASSWORD).toBe('s3cret-value');
    expect(env.DB_user).toBe('admin');
    expect(env.DB_password).toBe('s3cret-value');
    expect(env).not.toHaveProperty('NOT_THERE');
  });

  it('sees the ConfigMap and the Secret as files, with items, subPath and defaultMode', async () => {
    expect(await execIn(node, id, ['cat', '/etc/app/app.conf'])).toBe('version=1');
    expect(await execIn(node, id, ['cat', '/etc/app/MODE'])).toBe('fast');
    expect(await execIn(node, id, ['cat', '/etc/mode'])).toBe('fast');
    expect(await execIn(node, id, ['cat', '/etc/db/db/password'])).toBe('s3cret-value');
    expect((await execIn(node, id, ['stat', '-L', '-c', '%a', '/etc/db/db/password'])).trim()).toBe('400');
    // The Secret's files live on a tmpfs of their own (never on the node's disk); the
    // ConfigMap's are ordinary files.
    const mounts = (await execIn(node, id, ['cat', '/proc/mounts'])).split('\n').map((l) => l.split(' '));
    expect(mounts.find((m) => m[1] === '/etc/db')?.[2], 'file system of the secret volume').toBe('tmpfs');
    expect(mounts.find((m) => m[1] === '/etc/app')?.[2], 'file system of the configMap volume').not.toBe('tmpfs');
    // Mounted read-only: the container cannot change its configuration.
    const write = await docker(nodeEngine(node), ['exec', id, 'sh', '-c', 'echo x > /etc/app/new'], { timeoutMs: 15_000 });
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/read-only/i);
  });

  it('sees a changed ConfigMap in its files without a restart', async () => {
    const started = Date.now();
    await apply('config-v2.yaml', configMap('version=2'));
    const seen = await waitFor('the new app.conf inside the running container', async () => {
      const text = await execIn(node, id, ['cat', '/etc/app/app.conf']);
      return text === 'version=2' ? text : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(seen).toBe('version=2');
    process.stderr.write(`[config-and-secrets] ConfigMap change visible in the container ${Date.now() - started} ms after apply\n`);
    // The same container, never restarted.
    expect(await containerId(node, 'reader')).toBe(id);
    const pod = await c().getPod('reader');
    expect(pod?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    // A subPath mount is a copy of the file at start, as in Kubernetes.
    expect(await execIn(node, id, ['cat', '/etc/mode'])).toBe('fast');
  });
});

describe('a pod referencing a key the ConfigMap lacks', () => {
  it('waits with CreateContainerConfigError naming the key, while other pods keep running', async () => {
    await apply('broken.yaml', BROKEN_POD);
    const status = await waitFor('pod broken to report CreateContainerConfigError', async () => {
      const p = await c().getPod('broken');
      const waiting = p?.status?.containerStatuses?.[0]?.state?.waiting;
      return waiting?.reason === 'CreateContainerConfigError' ? waiting : undefined;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    expect(status.message).toBe("couldn't find key LEVEL in ConfigMap default/app-config");
    const table = await orchardOk(c().cli, ['get', 'pods']);
    expect(table).toMatch(/broken\s+0\/1\s+CreateContainerConfigError/);
    // Nothing else was disturbed: the reader still runs, every agent is alive.
    const reader = await c().getPod('reader');
    expect(reader?.status?.phase).toBe('Running');
    expect(reader?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    for (const [name, agent] of c().agents) expect(agent.exit, `agent ${name}`).toBeUndefined();
  });

  it('starts once the key is added to the ConfigMap', async () => {
    await apply('config-v3.yaml', configMap('version=3', '  LEVEL: debug\n'));
    const pod = await c().waitPodPhase('broken', 'Running', 30_000);
    const node = nodeOf(pod);
    const id = await containerId(node, 'broken');
    expect((await execIn(node, id, ['sh', '-c', 'echo $LEVEL'])).trim()).toBe('debug');
  });
});

describe('immutable ConfigMaps and Secrets', () => {
  const frozenMap = (value: string, immutable = 'true') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: frozen-config
immutable: ${immutable}
data:
  level: "${value}"
`;
  const frozenSecret = (value: string) => `apiVersion: v1
kind: Secret
metadata:
  name: frozen-secret
immutable: true
stringData:
  token: "${value}"
`;

  it('refuses a change of data or of immutable itself, naming the field, and changes nothing', async () => {
    await apply('frozen.yaml', `${frozenMap('one')}---\n${frozenSecret('first-token')}`);
    const before = JSON.parse(await orchardOk(c().cli, ['get', 'configmap', 'frozen-config', '-o', 'json'])) as Record<string, any>;

    const cases: Array<{ name: string; text: string; message: string }> = [
      { name: 'data', text: frozenMap('two'), message: 'ConfigMap "frozen-config" is invalid: data: Forbidden: field is immutable when `immutable` is set' },
      { name: 'immutable', text: frozenMap('one', 'false'), message: 'ConfigMap "frozen-config" is invalid: immutable: Forbidden: field is immutable when `immutable` is set' },
      { name: 'stringData', text: frozenSecret('second-token'), message: 'Secret "frozen-secret" is invalid: data: Forbidden: field is immutable when `immutable` is set' },
    ];
    for (const k of cases) {
      const file = c().manifestFile(`frozen-${k.name}.yaml`, k.text);
      const r = await c().cli(['apply', '-f', file]);
      expect(r.code, `${k.name}: ${describeResult(['apply', '-f', file], r)}`).not.toBe(0);
      expect(r.stderr, k.name).toContain(k.message);
      // The Secret's value is never echoed back.
      expect(r.stderr, k.name).not.toContain('token');
    }

    const after = JSON.parse(await orchardOk(c().cli, ['get', 'configmap', 'frozen-config', '-o', 'json'])) as Record<string, any>;
    expect(after.data).toEqual({ level: 'one' });
    expect(after.immutable).toBe(true);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    const secret = JSON.parse(await orchardOk(c().cli, ['get', 'secret', 'frozen-secret', '-o', 'json'])) as Record<string, any>;
    expect(Buffer.from(secret.data.token, 'base64').toString()).toBe('first-token');
  });

  it('accepts the same manifest again and a label change', async () => {
    await apply('frozen-again.yaml', frozenMap('one'));
    await orchardOk(c().cli, ['label', 'configmap', 'frozen-config', 'tier=config']);
    const cm = JSON.parse(await orchardOk(c().cli, ['get', 'configmap', 'frozen-config', '-o', 'json'])) as Record<string, any>;
    expect(cm.metadata.labels).toMatchObject({ tier: 'config' });
    expect(cm.data).toEqual({ level: 'one' });
  });

  it('allows deletion, after which the name can be created anew with other data', async () => {
    await orchardOk(c().cli, ['delete', 'configmap', 'frozen-config']);
    await orchardOk(c().cli, ['delete', 'secret', 'frozen-secret']);
    await apply('frozen-new.yaml', frozenMap('two'));
    const cm = JSON.parse(await orchardOk(c().cli, ['get', 'configmap', 'frozen-config', '-o', 'json'])) as Record<string, any>;
    expect(cm.data).toEqual({ level: 'two' });
  });
});

describe('the tmpfs of a secret volume on the node', () => {
  /** The agent's tmpfs mounts for a pod, as the node (the host's mount table) sees them. */
  async function secretMounts(uid: string): Promise<string[]> {
    const text = await readFile('/proc/self/mountinfo', 'utf8');
    return text
      .split('\n')
      .filter((l) => l.includes(`/pods/${uid}/volumes/`) && / - tmpfs orchard-secret /.test(l))
      .map((l) => l.split(' ')[4]!);
  }

  it('is mounted while the pod runs and unmounted when the pod is deleted', async () => {
    const pod = await c().getPod('reader');
    const uid = String(pod?.metadata?.uid);
    const mounts = await secretMounts(uid);
    expect(mounts, 'tmpfs mounts of pod reader').toHaveLength(1);
    expect(mounts[0]).toMatch(new RegExp(`/agent-${pod?.spec?.nodeName}/pods/${uid}/volumes/creds$`));
    await orchardOk(c().cli, ['delete', 'pod', 'reader']);
    await waitFor('pod reader to be gone', async () => ((await c().getPod('reader')) ? undefined : true), { timeoutMs: 30_000, intervalMs: 300 });
    expect(await secretMounts(uid)).toEqual([]);
  });
});
