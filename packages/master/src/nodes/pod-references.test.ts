import { describe, expect, it } from 'vitest';
import { ConfigMap, Pod, Secret, cloneObject, type ApiObject } from '@orchard/api';
import type { InformerHandler } from '../store/cache';
import { PodConfigObjects, podReferences, type ConfigSource } from './pod-references';

function pod(ns: string, spec: Partial<Pod['spec']>): Pod {
  return Pod.fromPartial({ metadata: { name: 'p', namespace: ns }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } });
}

describe('podReferences', () => {
  const cases: Array<{ name: string; pods: Pod[]; configMaps: string[]; secrets: string[] }> = [
    { name: 'a pod with nothing referenced', pods: [pod('default', {})], configMaps: [], secrets: [] },
    {
      name: 'env valueFrom and envFrom',
      pods: [
        pod('default', {
          containers: [
            {
              name: 'c',
              image: 'i',
              env: [
                { name: 'A', value: '', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } },
                { name: 'B', value: '', valueFrom: { secretKeyRef: { name: 'sec-env', key: 'k' } } },
              ],
              envFrom: [{ prefix: 'X_', configMapRef: { name: 'cm-from' } }, { prefix: '', secretRef: { name: 'sec-from' } }],
            } as never,
          ],
        }),
      ],
      configMaps: ['default/cm-env', 'default/cm-from'],
      secrets: ['default/sec-env', 'default/sec-from'],
    },
    {
      name: 'volumes, init containers and imagePullSecrets',
      pods: [
        pod('team', {
          volumes: [{ name: 'a', configMap: { name: 'cm-vol', items: [] } }, { name: 'b', secret: { secretName: 'sec-vol', items: [] } }] as never,
          initContainers: [{ name: 'i', image: 'i', env: [{ name: 'A', value: '', valueFrom: { configMapKeyRef: { name: 'cm-init', key: 'k' } } }] } as never],
          imagePullSecrets: [{ name: 'regcred' }],
        }),
      ],
      configMaps: ['team/cm-init', 'team/cm-vol'],
      secrets: ['team/regcred', 'team/sec-vol'],
    },
    {
      name: 'the same name in two namespaces is two objects',
      pods: [pod('a', { imagePullSecrets: [{ name: 'regcred' }] }), pod('b', { imagePullSecrets: [{ name: 'regcred' }] })],
      configMaps: [],
      secrets: ['a/regcred', 'b/regcred'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const refs = podReferences(c.pods);
      expect([...refs.configMaps].sort()).toEqual(c.configMaps);
      expect([...refs.secrets].sort()).toEqual(c.secrets);
    });
  }
});

/** An informer's read side over a plain map. */
class FakeSource implements ConfigSource {
  readonly items = new Map<string, ApiObject>();
  readonly handlers: InformerHandler[] = [];
  get(ns: string, name: string): ApiObject | undefined {
    const o = this.items.get(`${ns}/${name}`);
    return o && cloneObject(o);
  }
  addHandler(h: InformerHandler): void {
    this.handlers.push(h);
  }
  removeHandler(h: InformerHandler): void {
    this.handlers.splice(this.handlers.indexOf(h), 1);
  }
  put(o: ApiObject, ns: string, name: string): void {
    const old = this.items.get(`${ns}/${name}`);
    this.items.set(`${ns}/${name}`, o);
    for (const h of this.handlers) (old ? h.onUpdate?.(old, o) : h.onAdd?.(o));
  }
}

const cm = (ns: string, name: string): ApiObject => ({ resource: { $case: 'configMap', configMap: ConfigMap.fromPartial({ metadata: { name, namespace: ns }, data: { k: 'v' } }) } });
const secret = (ns: string, name: string): ApiObject => ({ resource: { $case: 'secret', secret: Secret.fromPartial({ metadata: { name, namespace: ns }, data: { k: Buffer.from('v') } }) } });

describe('PodConfigObjects', () => {
  it('returns exactly the referenced objects that exist', () => {
    const cms = new FakeSource();
    const secrets = new FakeSource();
    cms.put(cm('default', 'used'), 'default', 'used');
    cms.put(cm('default', 'unused'), 'default', 'unused');
    secrets.put(secret('default', 'used'), 'default', 'used');
    secrets.put(secret('other', 'used'), 'other', 'used');
    const objects = new PodConfigObjects(cms, secrets).objectsFor({
      configMaps: new Set(['default/used', 'default/missing']),
      secrets: new Set(['default/used']),
    });
    expect(objects.configMaps.map((c) => `${c.metadata!.namespace}/${c.metadata!.name}`)).toEqual(['default/used']);
    expect(objects.secrets.map((c) => `${c.metadata!.namespace}/${c.metadata!.name}`)).toEqual(['default/used']);
  });

  it('names each changed object until unsubscribed', () => {
    const cms = new FakeSource();
    const secrets = new FakeSource();
    const seen: string[] = [];
    const off = new PodConfigObjects(cms, secrets).onChange((kind, key) => seen.push(`${kind}:${key}`));
    cms.put(cm('default', 'a'), 'default', 'a');
    secrets.put(secret('team', 'b'), 'team', 'b');
    cms.put(cm('default', 'a'), 'default', 'a');
    off();
    cms.put(cm('default', 'c'), 'default', 'c');
    expect(seen).toEqual(['configMap:default/a', 'secret:team/b', 'configMap:default/a']);
    expect(cms.handlers).toHaveLength(0);
  });
});
