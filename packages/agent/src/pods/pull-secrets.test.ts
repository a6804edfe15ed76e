import { describe, expect, it } from 'vitest';
import { Pod, Secret } from '@orchard/api';
import { normalizeRegistry, pullAuthFor, registryOf } from './pull-secrets';
import { PodConfig } from './pod-config';

describe('registryOf', () => {
  const cases: Array<[string, string]> = [
    ['busybox', 'docker.io'],
    ['library/busybox:1.36', 'docker.io'],
    ['docker.io/library/nginx', 'docker.io'],
    ['192.168.77.1:25000/orchard-test:1', '192.168.77.1:25000'],
    ['localhost/app', 'localhost'],
    ['ghcr.io/org/app@sha256:abc', 'ghcr.io'],
  ];
  for (const [image, registry] of cases) it(image, () => expect(registryOf(image)).toBe(registry));
});

describe('normalizeRegistry', () => {
  const cases: Array<[string, string]> = [
    ['https://index.docker.io/v1/', 'docker.io'],
    ['http://192.168.77.1:25000', '192.168.77.1:25000'],
    ['192.168.77.1:25000', '192.168.77.1:25000'],
    ['Registry.Example.com/v2/', 'registry.example.com'],
  ];
  for (const [key, host] of cases) it(key, () => expect(normalizeRegistry(key)).toBe(host));
});

function dockerSecret(name: string, auths: Record<string, unknown>, type = 'kubernetes.io/dockerconfigjson'): Secret {
  const key = type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
  const body = type === 'kubernetes.io/dockercfg' ? auths : { auths };
  return Secret.fromPartial({ metadata: { name, namespace: 'default' }, type, data: { [key]: Buffer.from(JSON.stringify(body)) } });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('pullAuthFor', () => {
  const reg = '192.168.77.1:25000';
  const image = `${reg}/orchard-test:1`;
  const cases: Array<{ name: string; secrets: Secret[]; refs: string[]; want: { username: string; password: string } | undefined }> = [
    { name: 'auth field', secrets: [dockerSecret('regcred', { [reg]: { auth: b64('alice:pa:ss') } })], refs: ['regcred'], want: { username: 'alice', password: 'pa:ss' } },
    { name: 'username and password fields', secrets: [dockerSecret('regcred', { [`http://${reg}`]: { username: 'bob', password: 'pw' } })], refs: ['regcred'], want: { username: 'bob', password: 'pw' } },
    { name: 'legacy dockercfg', secrets: [dockerSecret('old', { [reg]: { auth: b64('carol:pw') } }, 'kubernetes.io/dockercfg')], refs: ['old'], want: { username: 'carol', password: 'pw' } },
    { name: 'another registry only', secrets: [dockerSecret('regcred', { 'ghcr.io': { auth: b64('x:y') } })], refs: ['regcred'], want: undefined },
    { name: 'a missing secret is skipped', secrets: [dockerSecret('second', { [reg]: { auth: b64('dave:pw') } })], refs: ['missing', 'second'], want: { username: 'dave', password: 'pw' } },
    { name: 'the first matching secret wins', secrets: [dockerSecret('a', { [reg]: { auth: b64('a:1') } }), dockerSecret('b', { [reg]: { auth: b64('b:2') } })], refs: ['a', 'b'], want: { username: 'a', password: '1' } },
    { name: 'an Opaque secret gives nothing', secrets: [Secret.fromPartial({ metadata: { name: 'o', namespace: 'default' }, type: 'Opaque', data: { '.dockerconfigjson': Buffer.from('{}') } })], refs: ['o'], want: undefined },
    { name: 'no imagePullSecrets', secrets: [], refs: [], want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const config = new PodConfig();
      config.set([], c.secrets);
      const pod = Pod.fromPartial({ metadata: { name: 'p', namespace: 'default' }, spec: { imagePullSecrets: c.refs.map((name) => ({ name })) } });
      const auth = pullAuthFor(pod, image, config);
      expect(auth).toEqual(c.want && { ...c.want, serveraddress: reg });
    });
  }
});
