import { describe, expect, it } from 'vitest';
import { decodeObject, encodeObject, encodeList, ManifestError, parseManifests, toYaml } from './codec';
import { ApiObject } from './gen/orchard/v1/object';
import { Pod } from './gen/orchard/v1/pod';
import { Node } from './gen/orchard/v1/node';
import { wrapNode, wrapPod } from './kinds';

const POD = `
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
    - name: web
      image: nginx:1.25
      ports:
        - containerPort: 80
      resources:
        limits:
          cpu: 1
          memory: 128Mi
      readinessProbe:
        httpGet:
          path: /
          port: 80
`;

function podOf(o: ApiObject): Pod {
  if (o.resource?.$case !== 'pod') throw new Error('not a pod');
  return o.resource.pod;
}

describe('parseManifests', () => {
  it('decodes a Kubernetes pod manifest into a typed Pod', () => {
    const [obj] = parseManifests(POD, 'pod.yaml');
    const pod = podOf(obj!);
    expect(pod.metadata?.name).toBe('web');
    expect(pod.metadata?.labels).toEqual({ app: 'web' });
    const c = pod.spec!.containers[0]!;
    expect(c.image).toBe('nginx:1.25');
    expect(c.ports[0]!.containerPort).toBe(80);
    expect(c.resources?.limits).toEqual({ cpu: '1', memory: '128Mi' });
    expect(c.readinessProbe?.httpGet?.port).toBe('80');
    expect(c.command).toEqual([]);
  });

  const multi: Array<{ name: string; text: string; kinds: string[] }> = [
    { name: 'several documents', text: `${POD}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n`, kinds: ['pod', 'namespace'] },
    { name: 'empty documents are skipped', text: `---\n---\n${POD}\n---\n# only a comment\n`, kinds: ['pod'] },
    {
      name: 'a List expands into its items',
      text: 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Node, metadata: {name: pi1}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n',
      kinds: ['node', 'namespace'],
    },
    { name: 'JSON input', text: '{"apiVersion":"v1","kind":"Node","metadata":{"name":"pi1"},"spec":{"unschedulable":true}}', kinds: ['node'] },
    { name: 'an empty text yields nothing', text: '', kinds: [] },
    { name: 'null fields are unset', text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  creationTimestamp: null\nspec: {}\nstatus: {}\n', kinds: ['namespace'] },
  ];
  for (const c of multi) {
    it(c.name, () => expect(parseManifests(c.text, 'x.yaml').map((o) => o.resource?.$case)).toEqual(c.kinds));
  }

  const bad: Array<{ name: string; text: string; want: RegExp }> = [
    {
      name: 'malformed YAML names source, document and line',
      text: `${POD}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n`,
      want: /error parsing bad\.yaml: document 2, line \d+, column \d+: invalid YAML/,
    },
    { name: 'unknown kind', text: 'apiVersion: v1\nkind: Deploymnt\nmetadata: {name: a}\n', want: /no matches for kind "Deploymnt" in version "v1"/ },
    { name: 'wrong apiVersion', text: 'apiVersion: apps/v1\nkind: Pod\nmetadata: {name: a}\n', want: /no matches for kind "Pod" in version "apps\/v1"/ },
    { name: 'missing kind', text: 'apiVersion: v1\nmetadata: {name: a}\n', want: /kind not set/ },
    { name: 'missing apiVersion', text: 'kind: Pod\nmetadata: {name: a}\n', want: /apiVersion not set/ },
    { name: 'not a mapping', text: '- a\n- b\n', want: /expected an object \(a map\), got a list/ },
    {
      name: 'unknown field with its path',
      text: POD.replace('spec:\n', 'spec:\n  nodeSlector: {a: b}\n'),
      want: /unknown field "spec\.nodeSlector"/,
    },
    {
      name: 'unknown nested field with list indexes',
      text: POD.replace('- containerPort: 80', '- containerPort: 80\n          hostPrt: 8080'),
      want: /unknown field "spec\.containers\[0\]\.ports\[0\]\.hostPrt"/,
    },
    { name: 'string field given a map', text: POD.replace('image: nginx:1.25', 'image: {a: b}'), want: /spec\.containers\[0\]\.image: Invalid type: expected a string, got a map/ },
    { name: 'int given a string', text: POD.replace('containerPort: 80', 'containerPort: abc'), want: /spec\.containers\[0\]\.ports\[0\]\.containerPort: Invalid type: expected an integer, got string "abc"/ },
    { name: 'int given a fraction', text: POD.replace('containerPort: 80', 'containerPort: 80.5'), want: /containerPort: Invalid type: expected an integer, got number 80.5/ },
    { name: 'int32 overflow', text: POD.replace('containerPort: 80', 'containerPort: 3000000000'), want: /containerPort: Invalid value: 3000000000: must fit in int32/ },
    { name: 'bool given yes', text: 'apiVersion: v1\nkind: Node\nmetadata: {name: a}\nspec: {unschedulable: yes}\n', want: /spec\.unschedulable: Invalid type: expected true or false, got string "yes"/ },
    { name: 'number for a plain string field', text: POD.replace('image: nginx:1.25', 'image: 5'), want: /image: Invalid type: expected a string, got number 5/ },
    { name: 'label value must be a string', text: POD.replace('app: web', 'app: 1'), want: /metadata\.labels\[app\]: Invalid type: expected a string, got number 1/ },
    { name: 'list field given a scalar', text: POD.replace('- name: web\n      image', '- name: web\n      args: run\n      image'), want: /spec\.containers\[0\]\.args: Invalid type: expected a list/ },
    { name: 'duplicate keys', text: 'apiVersion: v1\nkind: Node\nkind: Node\n', want: /document 1, line \d+, column \d+: invalid YAML: Map keys must be unique/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      expect(() => parseManifests(c.text, 'bad.yaml')).toThrow(c.want);
      expect(() => parseManifests(c.text, 'bad.yaml')).toThrow(ManifestError);
    });
  }

  it('reads 0644 as octal, as Kubernetes does for file modes', () => {
    const text = POD.replace('spec:\n', 'spec:\n  volumes:\n  - name: cfg\n    configMap: {name: cfg, defaultMode: 0644}\n');
    const pod = podOf(parseManifests(text, 'pod.yaml')[0]!);
    expect(pod.spec!.volumes[0]!.configMap!.defaultMode).toBe(0o644);
    expect(podOf(parseManifests(POD, 'pod.yaml')[0]!).spec!.containers[0]!.ports[0]!.containerPort).toBe(80);
  });

  it('accepts YAML merge keys', () => {
    const text = 'apiVersion: v1\nkind: Node\nmetadata:\n  labels: &l {a: b}\n  annotations:\n    <<: *l\n    c: d\n  name: pi1\n';
    expect(parseManifests(text, 'n.yaml')[0]!.resource).toMatchObject({ node: { metadata: { annotations: { a: 'b', c: 'd' } } } });
  });

  it('reports every failing document, not just the first', () => {
    const text = 'apiVersion: v1\nkind: Foo\n---\napiVersion: v1\nkind: Node\nmetadata: {name: a, bogus: 1}\n';
    try {
      parseManifests(text, 'two.yaml');
      expect.unreachable();
    } catch (err) {
      expect((err as ManifestError).problems).toEqual([
        'error parsing two.yaml: document 1: no matches for kind "Foo" in version "v1"',
        'error parsing two.yaml: document 2: Node "a" in version "v1" cannot be handled as a Node: strict decoding error: unknown field "metadata.bogus"',
      ]);
    }
  });

  it('accepts numbers for IntOrString and quantity fields', () => {
    const pod = podOf(decodeObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a' },
      spec: {
        containers: [{ name: 'a', image: 'b', livenessProbe: { tcpSocket: { port: 8080 } }, resources: { requests: { cpu: 0.5 } } }],
        volumes: [{ name: 'v', emptyDir: { sizeLimit: 1000 } }],
      },
    }));
    expect(pod.spec!.containers[0]!.livenessProbe!.tcpSocket!.port).toBe('8080');
    expect(pod.spec!.containers[0]!.resources!.requests).toEqual({ cpu: '0.5' });
    expect(pod.spec!.volumes[0]!.emptyDir).toEqual({ medium: '', sizeLimit: '1000' });
  });
});

const fullPod = Pod.fromPartial({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, uid: 'u1', resourceVersion: '7', deletionGracePeriodSeconds: 0 },
  spec: {
    containers: [
      {
        name: 'web',
        image: 'nginx',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        livenessProbe: { httpGet: { path: '/', port: '80' }, periodSeconds: 10 },
        readinessProbe: { tcpSocket: { port: 'http' } },
        resources: { limits: { cpu: '500m' } },
      },
    ],
    volumes: [{ name: 'scratch', emptyDir: {} }],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    nodeName: 'pi1',
  },
  status: {
    phase: 'Running',
    podIp: '10.0.0.5',
    containerStatuses: [
      { name: 'web', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    ],
  },
});
const node = Node.fromPartial({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'pi1', labels: { 'kubernetes.io/arch': 'arm64' } },
  spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
  status: { capacity: { cpu: '4', memory: '4Gi' }, nodeInfo: { architecture: 'arm64' } },
});

describe('encodeObject', () => {
  it('prints Kubernetes key order and leaves empty values out', () => {
    const json = encodeObject(wrapPod(fullPod));
    expect(Object.keys(json)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    const c = (json.spec as any).containers[0];
    expect(c).not.toHaveProperty('command');
    expect(c).not.toHaveProperty('imagePullPolicy');
    expect(c.livenessProbe.httpGet.port).toBe(80);
    expect(c.readinessProbe.tcpSocket.port).toBe('http');
    expect((json.spec as any).volumes[0]).toEqual({ name: 'scratch', emptyDir: {} });
    expect((json.metadata as any).deletionGracePeriodSeconds).toBe(0);
    expect((json.status as any).containerStatuses[0]).toEqual({
      name: 'web',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
  });

  it('fills apiVersion and kind from the envelope', () => {
    const json = encodeObject(wrapNode(Node.fromPartial({ metadata: { name: 'pi2' } })));
    expect(json).toEqual({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'pi2' } });
  });

  const roundTrips: Array<[string, ApiObject]> = [
    ['pod with status', wrapPod(fullPod)],
    ['node with taints and capacity', wrapNode(node)],
    ['pod from a manifest', parseManifests(POD, 'pod.yaml')[0]!],
  ];
  for (const [name, obj] of roundTrips) {
    it(`round-trips ${name} through JSON`, () => expect(decodeObject(encodeObject(obj))).toEqual(obj));
    it(`round-trips ${name} through YAML`, () => expect(parseManifests(toYaml(encodeObject(obj)), 'rt.yaml')).toEqual([obj]));
  }

  it('spells acronyms as Kubernetes does (podIP, hostIP, containerID, podCIDR)', () => {
    const json = encodeObject(wrapPod(Pod.fromPartial({
      metadata: { name: 'a' },
      spec: { containers: [{ name: 'a', image: 'b', ports: [{ containerPort: 80, hostIp: '0.0.0.0' }] }] },
      status: { podIp: '10.0.0.5', hostIp: '192.168.1.2', containerStatuses: [{ name: 'a', containerId: 'docker://x', imageId: 'sha256:y' }] },
    })));
    expect(json.status).toMatchObject({ podIP: '10.0.0.5', hostIP: '192.168.1.2', containerStatuses: [{ containerID: 'docker://x', imageID: 'sha256:y' }] });
    expect((json.spec as any).containers[0].ports[0].hostIP).toBe('0.0.0.0');
    const n = parseManifests('apiVersion: v1\nkind: Node\nmetadata: {name: pi1}\nspec: {podCIDR: 10.42.1.0/24}\nstatus: {nodeInfo: {machineID: m1}}\n', 'n.yaml')[0]!;
    expect(n.resource).toMatchObject({ node: { spec: { podCidr: '10.42.1.0/24' }, status: { nodeInfo: { machineId: 'm1' } } } });
    expect(() => parseManifests('apiVersion: v1\nkind: Node\nmetadata: {name: pi1}\nspec: {podCidr: x}\n', 'n.yaml')).toThrow(/unknown field "spec.podCidr"/);
  });

  it('encodes a list like kubectl', () => {
    const list = encodeList([wrapNode(node)]);
    expect(list.kind).toBe('List');
    expect((list.items as unknown[]).length).toBe(1);
    expect(parseManifests(toYaml(list), 'list.yaml')).toEqual([wrapNode(node)]);
  });
});

describe('bytes fields (Secret data)', () => {
  const secret = (data: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: ${data}\n`;
  it('reads base64 and prints it back as base64', () => {
    const [obj] = parseManifests(secret('aHVudGVyMg=='), 's.yaml');
    const r = obj!.resource;
    expect(r?.$case === 'secret' && Buffer.from(r.secret.data['password']!).toString()).toBe('hunter2');
    expect(encodeObject(obj!)).toMatchObject({ data: { password: 'aHVudGVyMg==' } });
  });
  it.each([
    ['a number', '12'],
    ['not base64', '"not base64!"'],
    ['a truncated base64 string', 'aHVudGVyMg='],
  ])('refuses %s with the field path', (_name, value) => {
    expect(() => parseManifests(secret(value), 's.yaml')).toThrow(/data\[password\]: Invalid type: expected a base64 string/);
  });
});
