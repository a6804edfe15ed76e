import { describe, expect, it } from 'vitest';
import { defaultPullPolicy, withDefaults } from './defaults';
import { Namespace, Node } from './gen/orchard/v1/node';
import { Pod } from './gen/orchard/v1/pod';
import type { ApiObject } from './gen/orchard/v1/object';
import { cloneObject, kindByCase, wrap, wrapNode, wrapPod } from './kinds';

function podOf(o: ApiObject): Pod {
  if (o.resource?.$case !== 'pod') throw new Error('not a pod');
  return o.resource.pod;
}

const bare = wrapPod(
  Pod.fromPartial({
    metadata: { name: 'web' },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          livenessProbe: { httpGet: { port: '80' } },
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '250m' } },
        },
      ],
      initContainers: [{ name: 'init', image: 'busybox:1.36' }],
    },
  }),
);

describe('withDefaults', () => {
  it('fills the Kubernetes defaults of a pod', () => {
    const p = podOf(withDefaults(bare));
    expect(p.apiVersion).toBe('v1');
    expect(p.kind).toBe('Pod');
    expect(p.metadata!.namespace).toBe('default');
    expect(p.spec!.restartPolicy).toBe('Always');
    expect(p.spec!.dnsPolicy).toBe('ClusterFirst');
    expect(p.spec!.terminationGracePeriodSeconds).toBe(30);
    expect(p.spec!.schedulerName).toBe('default-scheduler');
    const c = p.spec!.containers[0]!;
    expect(c.imagePullPolicy).toBe('Always');
    expect(p.spec!.initContainers[0]!.imagePullPolicy).toBe('IfNotPresent');
    expect(c.ports[0]!.protocol).toBe('TCP');
    expect(c.livenessProbe).toMatchObject({ timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.livenessProbe!.httpGet).toMatchObject({ path: '/', scheme: 'HTTP' });
    expect(c.resources!.requests).toEqual({ cpu: '250m', memory: '1Gi' });
  });

  it('never mutates its input', () => {
    const before = cloneObject(bare);
    withDefaults(bare);
    expect(bare).toEqual(before);
  });

  it('keeps values that are set', () => {
    const p = podOf(
      withDefaults(
        wrapPod(
          Pod.fromPartial({
            metadata: { name: 'a', namespace: 'dev' },
            spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Never' }] },
          }),
        ),
      ),
    );
    expect(p.metadata!.namespace).toBe('dev');
    expect(p.spec!.restartPolicy).toBe('Never');
    expect(p.spec!.terminationGracePeriodSeconds).toBe(0);
    expect(p.spec!.containers[0]!.imagePullPolicy).toBe('Never');
  });

  it('gives cluster-scoped kinds no namespace', () => {
    const n = withDefaults(wrapNode(Node.fromPartial({ metadata: { name: 'pi1' } })));
    expect(n.resource).toMatchObject({ $case: 'node', node: { apiVersion: 'v1', kind: 'Node', metadata: { namespace: '' } } });
  });

  it('marks a namespace Active', () => {
    const ns = withDefaults(wrap(kindByCase('namespace'), Namespace.fromPartial({ metadata: { name: 'dev' } })));
    expect(ns.resource).toMatchObject({ $case: 'namespace', namespace: { status: { phase: 'Active' } } });
  });
});

describe('defaultPullPolicy', () => {
  const cases: Array<[string, string, string]> = [
    ['no tag', 'nginx', 'Always'],
    ['latest', 'nginx:latest', 'Always'],
    ['pinned tag', 'nginx:1.25', 'IfNotPresent'],
    ['digest', 'nginx@sha256:abc', 'IfNotPresent'],
    ['registry with port, no tag', 'registry.lan:5000/team/app', 'Always'],
    ['registry with port and tag', 'registry.lan:5000/team/app:v2', 'IfNotPresent'],
  ];
  for (const [name, image, want] of cases) it(name, () => expect(defaultPullPolicy(image)).toBe(want));
});
