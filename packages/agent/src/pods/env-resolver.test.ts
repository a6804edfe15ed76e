import { describe, expect, it } from 'vitest';
import { ConfigMap, Container, EnvVarSource, Pod, Secret } from '@orchard/api';
import { envFromValues, keyRefValue } from './env-resolver';
import { PodConfig } from './pod-config';

const pod = Pod.fromPartial({ metadata: { name: 'p', namespace: 'team' } });
const config = new PodConfig();
config.set(
  [ConfigMap.fromPartial({ metadata: { name: 'app', namespace: 'team' }, data: { MODE: 'fast', 'bad name': 'x' }, binaryData: { BIN: Buffer.from('raw') } })],
  [Secret.fromPartial({ metadata: { name: 'db', namespace: 'team' }, data: { PASSWORD: Buffer.from('s3cret') } })],
);

describe('keyRefValue', () => {
  const cases: Array<{ name: string; from: Partial<EnvVarSource>; want?: string; error?: string }> = [
    { name: 'a ConfigMap key', from: { configMapKeyRef: { name: 'app', key: 'MODE' } }, want: 'fast' },
    { name: 'a binaryData key', from: { configMapKeyRef: { name: 'app', key: 'BIN' } }, want: 'raw' },
    { name: 'a Secret key', from: { secretKeyRef: { name: 'db', key: 'PASSWORD' } }, want: 's3cret' },
    { name: 'a missing ConfigMap key', from: { configMapKeyRef: { name: 'app', key: 'NOPE' } }, error: "couldn't find key NOPE in ConfigMap team/app" },
    { name: 'a missing Secret key', from: { secretKeyRef: { name: 'db', key: 'USER' } }, error: "couldn't find key USER in Secret team/db" },
    { name: 'a missing ConfigMap', from: { configMapKeyRef: { name: 'gone', key: 'K' } }, error: 'configmap "gone" not found' },
    { name: 'a missing Secret', from: { secretKeyRef: { name: 'gone', key: 'K' } }, error: 'secret "gone" not found' },
    { name: 'an optional missing key', from: { configMapKeyRef: { name: 'app', key: 'NOPE', optional: true } }, want: undefined },
    { name: 'an optional missing Secret', from: { secretKeyRef: { name: 'gone', key: 'K', optional: true } }, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const from = EnvVarSource.fromPartial(c.from);
      if (c.error) expect(() => keyRefValue(pod, from, config)).toThrow(c.error);
      else expect(keyRefValue(pod, from, config)).toBe(c.want);
    });
  }
});

describe('envFromValues', () => {
  const cases: Array<{ name: string; envFrom: Container['envFrom']; want?: Record<string, string>; error?: string }> = [
    { name: 'a ConfigMap with a prefix, invalid names skipped', envFrom: [{ prefix: 'APP_', configMapRef: { name: 'app' } }], want: { APP_MODE: 'fast' } },
    { name: 'a Secret', envFrom: [{ prefix: '', secretRef: { name: 'db' } }], want: { PASSWORD: 's3cret' } },
    { name: 'a later source wins', envFrom: [{ prefix: '', secretRef: { name: 'db' } }, { prefix: 'PASS', configMapRef: { name: 'app' } }], want: { PASSWORD: 's3cret', PASSMODE: 'fast' } },
    { name: 'a missing ConfigMap', envFrom: [{ prefix: '', configMapRef: { name: 'gone' } }], error: 'configmap "gone" not found' },
    { name: 'an optional missing Secret', envFrom: [{ prefix: '', secretRef: { name: 'gone', optional: true } }], want: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const container = Container.fromPartial({ name: 'c', image: 'i', envFrom: c.envFrom });
      if (c.error) expect(() => envFromValues(pod, container, config)).toThrow(c.error);
      else expect(Object.fromEntries(envFromValues(pod, container, config))).toEqual(c.want);
    });
  }
});

describe('PodConfig.fingerprint', () => {
  const refPod = Pod.fromPartial({ metadata: { name: 'p', namespace: 'team' }, spec: { volumes: [{ name: 'v', configMap: { name: 'app' } }] } });
  it('changes when a referenced object changes, not when another one does', () => {
    const c = new PodConfig();
    c.set([ConfigMap.fromPartial({ metadata: { name: 'app', namespace: 'team' }, data: { a: '1' } })], []);
    const before = c.fingerprint(refPod);
    c.set([ConfigMap.fromPartial({ metadata: { name: 'app', namespace: 'team' }, data: { a: '1' } }), ConfigMap.fromPartial({ metadata: { name: 'other', namespace: 'team' } })], []);
    expect(c.fingerprint(refPod)).toBe(before);
    c.set([ConfigMap.fromPartial({ metadata: { name: 'app', namespace: 'team' }, data: { a: '2' } })], []);
    expect(c.fingerprint(refPod)).not.toBe(before);
    c.set([], []);
    expect(c.fingerprint(refPod)).not.toBe(before);
  });
  it('is empty for a pod that references nothing', () => expect(new PodConfig().fingerprint(pod)).toBe(''));
});
