import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors';
import { Namespace, Node } from './gen/orchard/v1/node';
import { Pod } from './gen/orchard/v1/pod';
import { wrap, wrapNode, wrapPod, kindByCase } from './kinds';
import { objectErrors, validateObject } from './validation';
import { formatFieldError } from './errors';

function pod(mutate: (p: Pod) => void = () => {}): Pod {
  const p = Pod.fromPartial({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.25',
          ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
          resources: { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '500m', memory: '64Mi' } },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 10 },
          env: [{ name: 'MODE', value: 'prod' }],
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      restartPolicy: 'Always',
      tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }],
    },
  });
  mutate(p);
  return p;
}
const c0 = (p: Pod) => p.spec!.containers[0]!;

function messages(errs: ReturnType<typeof objectErrors>): string[] {
  return errs.map(formatFieldError);
}

describe('validateObject: pods', () => {
  it('accepts a valid pod', () => expect(objectErrors(wrapPod(pod()))).toEqual([]));

  const cases: Array<{ name: string; mutate: (p: Pod) => void; want: string[] }> = [
    { name: 'missing name', mutate: (p) => (p.metadata!.name = ''), want: ['metadata.name: Required value: name or generateName is required'] },
    { name: 'name not a DNS-1123 label', mutate: (p) => (p.metadata!.name = 'Web_1'), want: ['metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 label must consist of'] },
    { name: 'bad label key', mutate: (p) => (p.metadata!.labels = { '-x': 'a' }), want: ['metadata.labels: Invalid value: "-x": name part must consist'] },
    { name: 'bad label value', mutate: (p) => (p.metadata!.labels = { x: 'a b' }), want: ['metadata.labels[x]: Invalid value: "a b": a valid label must be'] },
    { name: 'bad annotation key', mutate: (p) => (p.metadata!.annotations = { 'a/b/c': 'x' }), want: ['metadata.annotations: Invalid value: "a/b/c"'] },
    { name: 'no containers', mutate: (p) => (p.spec!.containers = []), want: ['spec.containers: Required value'] },
    { name: 'missing image', mutate: (p) => (c0(p).image = ''), want: ['spec.containers[0].image: Required value'] },
    { name: 'container name not a label', mutate: (p) => (c0(p).name = 'Web'), want: ['spec.containers[0].name: Invalid value: "Web"'] },
    {
      name: 'duplicate container names across init and app containers',
      mutate: (p) => (p.spec!.initContainers = [{ ...c0(p), ports: [] }]),
      want: ['spec.containers[0].name: Duplicate value: "web"'],
    },
    { name: 'port out of range', mutate: (p) => (c0(p).ports[0]!.containerPort = 70000), want: ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'] },
    { name: 'port missing', mutate: (p) => (c0(p).ports[0]!.containerPort = 0), want: ['spec.containers[0].ports[0].containerPort: Required value'] },
    { name: 'host port out of range', mutate: (p) => (c0(p).ports[0]!.hostPort = -1), want: ['spec.containers[0].ports[0].hostPort: Invalid value: -1'] },
    { name: 'bad protocol', mutate: (p) => (c0(p).ports[0]!.protocol = 'HTTP'), want: ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"'] },
    { name: 'bad restart policy', mutate: (p) => (p.spec!.restartPolicy = 'Sometimes'), want: ['spec.restartPolicy: Unsupported value: "Sometimes"'] },
    { name: 'bad pull policy', mutate: (p) => (c0(p).imagePullPolicy = 'Maybe'), want: ['spec.containers[0].imagePullPolicy: Unsupported value: "Maybe"'] },
    { name: 'bad dns policy', mutate: (p) => (p.spec!.dnsPolicy = 'Google'), want: ['spec.dnsPolicy: Unsupported value: "Google"'] },
    { name: 'negative cpu', mutate: (p) => (c0(p).resources!.limits.cpu = '-1'), want: ['spec.containers[0].resources.limits[cpu]: Invalid value: "-1": must be a non-negative quantity like 100m, 250Mi or 1Gi'] },
    { name: 'malformed memory', mutate: (p) => (c0(p).resources!.requests.memory = 'lots'), want: ['spec.containers[0].resources.requests[memory]: Invalid value: "lots"'] },
    { name: 'unknown resource name', mutate: (p) => (c0(p).resources!.limits.gpu = '1'), want: ['spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified'] },
    { name: 'request above limit', mutate: (p) => (c0(p).resources!.requests.cpu = '2'), want: ['spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1'] },
    { name: 'bad env name', mutate: (p) => (c0(p).env[0]!.name = '1BAD'), want: ['spec.containers[0].env[0].name: Invalid value: "1BAD"'] },
    { name: 'duplicate volume names', mutate: (p) => p.spec!.volumes.push({ ...p.spec!.volumes[0]! }), want: ['spec.volumes[1].name: Duplicate value: "data"'] },
    { name: 'volume without source', mutate: (p) => (p.spec!.volumes[0]!.emptyDir = undefined), want: ['spec.volumes[0]: Required value: must specify a volume type'] },
    {
      name: 'volume with two sources',
      mutate: (p) => (p.spec!.volumes[0]!.hostPath = { path: '/x', type: '' }),
      want: ['spec.volumes[0]: Forbidden: may not specify more than 1 volume type'],
    },
    {
      name: 'file mode above 0777',
      mutate: (p) => p.spec!.volumes.push({ name: 'cfg', configMap: { name: 'cfg', items: [], defaultMode: 644 } }),
      want: ['spec.volumes[1].configMap.defaultMode: Invalid value: 644: must be a number between 0 and 0777 (octal), both inclusive'],
    },
    { name: 'mount of an undefined volume', mutate: (p) => (c0(p).volumeMounts[0]!.name = 'cache'), want: ['spec.containers[0].volumeMounts[0].name: Not found: "cache"'] },
    { name: 'relative mount path', mutate: (p) => (c0(p).volumeMounts[0]!.mountPath = 'data'), want: ['spec.containers[0].volumeMounts[0].mountPath: Invalid value: "data": must be an absolute path'] },
    {
      name: 'probe with two handlers',
      mutate: (p) => (c0(p).livenessProbe!.exec = { command: ['true'] }),
      want: ['spec.containers[0].livenessProbe: Forbidden: may not specify more than 1 handler type'],
    },
    { name: 'probe without handler', mutate: (p) => (c0(p).readinessProbe = { ...c0(p).livenessProbe!, httpGet: undefined }), want: ['spec.containers[0].readinessProbe: Required value: must specify a handler type'] },
    { name: 'negative probe period', mutate: (p) => (c0(p).livenessProbe!.periodSeconds = -5), want: ['spec.containers[0].livenessProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0'] },
    { name: 'probe port out of range', mutate: (p) => (c0(p).livenessProbe!.httpGet!.port = '0'), want: ['spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0'] },
    { name: 'bad toleration operator', mutate: (p) => (p.spec!.tolerations[0]!.operator = 'Like'), want: ['spec.tolerations[0].operator: Unsupported value: "Like"'] },
    { name: 'bad toleration effect', mutate: (p) => (p.spec!.tolerations[0]!.effect = 'Never'), want: ['spec.tolerations[0].effect: Unsupported value: "Never"'] },
    {
      name: 'bad node affinity operator',
      mutate: (p) =>
        (p.spec!.affinity = {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Near', values: [] }], matchFields: [] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [],
          },
        }),
      want: ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: Unsupported value: "Near"'],
    },
    { name: 'negative grace period', mutate: (p) => (p.spec!.terminationGracePeriodSeconds = -1), want: ['spec.terminationGracePeriodSeconds: Invalid value: -1'] },
    {
      name: 'several problems at once',
      mutate: (p) => {
        c0(p).image = '';
        p.metadata!.name = 'Bad';
      },
      want: ['metadata.name: Invalid value: "Bad"', 'spec.containers[0].image: Required value'],
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      const got = messages(objectErrors(wrapPod(pod(c.mutate))));
      expect(got.length).toBe(c.want.length);
      c.want.forEach((w, i) => expect(got[i]).toContain(w));
    });
  }

  it('throws an InvalidError worded like Kubernetes', () => {
    expect(() => validateObject(wrapPod(pod((p) => (c0(p).image = ''))))).toThrow(
      new InvalidError('Pod', 'web', [{ field: 'spec.containers[0].image', type: 'Required value' }]),
    );
    expect(() => validateObject(wrapPod(pod((p) => (c0(p).image = ''))))).toThrow('Pod "web" is invalid: spec.containers[0].image: Required value');
  });
});

describe('validateObject: nodes and namespaces', () => {
  const cases: Array<{ name: string; obj: Parameters<typeof objectErrors>[0]; want: string[] }> = [
    { name: 'valid node with a dotted name', obj: wrapNode(Node.fromPartial({ metadata: { name: 'pi1.lan' } })), want: [] },
    { name: 'node name not a subdomain', obj: wrapNode(Node.fromPartial({ metadata: { name: 'Pi_1' } })), want: ['metadata.name: Invalid value: "Pi_1": a lowercase RFC 1123 subdomain'] },
    {
      name: 'bad taint effect',
      obj: wrapNode(Node.fromPartial({ metadata: { name: 'pi1' }, spec: { taints: [{ key: 'a', effect: 'Evict' }] } })),
      want: ['spec.taints[0].effect: Unsupported value: "Evict"'],
    },
    {
      name: 'taint without effect',
      obj: wrapNode(Node.fromPartial({ metadata: { name: 'pi1' }, spec: { taints: [{ key: 'a' }] } })),
      want: ['spec.taints[0].effect: Required value'],
    },
    {
      name: 'node with a namespace',
      obj: wrapNode(Node.fromPartial({ metadata: { name: 'pi1', namespace: 'default' } })),
      want: ['metadata.namespace: Forbidden'],
    },
    { name: 'valid namespace', obj: wrap(kindByCase('namespace'), Namespace.fromPartial({ metadata: { name: 'dev' } })), want: [] },
    { name: 'namespace with a dot', obj: wrap(kindByCase('namespace'), Namespace.fromPartial({ metadata: { name: 'a.b' } })), want: ['metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = messages(objectErrors(c.obj));
      expect(got.length).toBe(c.want.length);
      c.want.forEach((w, i) => expect(got[i]).toContain(w));
    });
  }
});

describe('validation cost', () => {
  it('validates a typical pod in well under a tenth of a millisecond', () => {
    const obj = wrapPod(pod());
    const batch = 2_000;
    // Warm up, then take the fastest of a few batches: a loaded machine slows some
    // batches down, but a slow validator slows every one.
    for (let i = 0; i < batch; i++) objectErrors(obj);
    let best = Infinity;
    for (let b = 0; b < 5; b++) {
      const start = performance.now();
      for (let i = 0; i < batch; i++) objectErrors(obj);
      best = Math.min(best, (performance.now() - start) / batch);
    }
    expect(best).toBeLessThan(0.1);
  });
});
