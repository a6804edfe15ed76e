import { describe, expect, it } from 'vitest';
import { ConfigMap, Secret } from './gen/orchard/v1/config';
import type { ApiObject } from './gen/orchard/v1/object';
import { objectErrors } from './validation';
import { MAX_CONFIG_DATA_BYTES, checkConfigKey } from './config-validation';

const meta = { name: 'app-config', namespace: 'default' };

function cm(p: Partial<ConfigMap>): ApiObject {
  return { resource: { $case: 'configMap', configMap: ConfigMap.fromPartial({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, ...p }) } };
}

function secret(p: Partial<Secret>): ApiObject {
  return { resource: { $case: 'secret', secret: Secret.fromPartial({ apiVersion: 'v1', kind: 'Secret', metadata: meta, ...p }) } };
}

const dockerJson = Buffer.from(JSON.stringify({ auths: { 'registry.example:5000': { auth: 'dTpw' } } }));

describe('checkConfigKey', () => {
  const cases: Array<{ name: string; key: string; ok: boolean }> = [
    { name: 'a plain key', key: 'game.properties', ok: true },
    { name: 'dashes and underscores', key: 'UI_colour-1', ok: true },
    { name: 'a dot file', key: '.dockerconfigjson', ok: true },
    { name: 'a slash', key: 'a/b', ok: false },
    { name: 'a space', key: 'a b', ok: false },
    { name: 'the parent dir', key: '..', ok: false },
    { name: 'a ..data-like name', key: '..data', ok: false },
    { name: 'empty', key: '', ok: false },
  ];
  for (const c of cases) it(c.name, () => expect(checkConfigKey(c.key).length === 0).toBe(c.ok));
});

describe('validateObject: ConfigMaps and Secrets', () => {
  const cases: Array<{ name: string; obj: ApiObject; fields: string[] }> = [
    { name: 'a valid ConfigMap', obj: cm({ data: { 'a.conf': 'x=1' }, binaryData: { 'b.bin': Buffer.from([0, 1]) } }), fields: [] },
    { name: 'a ConfigMap key with a slash', obj: cm({ data: { 'a/b': 'x' } }), fields: ['data[a/b]'] },
    { name: 'a key in data and binaryData', obj: cm({ data: { k: 'x' }, binaryData: { k: Buffer.from('y') } }), fields: ['binaryData[k]'] },
    { name: 'a ConfigMap over 1 MiB', obj: cm({ data: { big: 'x'.repeat(MAX_CONFIG_DATA_BYTES + 1) } }), fields: ['data'] },
    { name: 'a ConfigMap without a name', obj: cm({ metadata: { ...meta, name: '' } as never }), fields: ['metadata.name'] },
    { name: 'a valid Opaque Secret', obj: secret({ type: 'Opaque', data: { password: Buffer.from('s3cret') } }), fields: [] },
    { name: 'a Secret key with a space', obj: secret({ data: { 'pass word': Buffer.from('x') } }), fields: ['data[pass word]'] },
    { name: 'a stringData key with a slash', obj: secret({ stringData: { 'a/b': 'x' } }), fields: ['stringData[a/b]'] },
    { name: 'a Secret over 1 MiB', obj: secret({ data: { big: Buffer.alloc(MAX_CONFIG_DATA_BYTES + 1) } }), fields: ['data'] },
    { name: 'a valid dockerconfigjson Secret', obj: secret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': dockerJson } }), fields: [] },
    { name: 'a dockerconfigjson Secret without its key', obj: secret({ type: 'kubernetes.io/dockerconfigjson', data: { other: dockerJson } }), fields: ['data[.dockerconfigjson]'] },
    { name: 'a dockerconfigjson Secret holding broken JSON', obj: secret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('{"auths":') } }), fields: ['data[.dockerconfigjson]'] },
    { name: 'a dockerconfigjson Secret holding a JSON string', obj: secret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('"x"') } }), fields: ['data[.dockerconfigjson]'] },
  ];
  for (const c of cases) {
    it(c.name, () => expect(objectErrors(c.obj).map((e) => e.field)).toEqual(c.fields));
  }

  it('never echoes the contents of a broken dockerconfigjson', () => {
    const errs = objectErrors(secret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('{"password":"hunter2"') } }));
    expect(JSON.stringify(errs)).not.toContain('hunter2');
  });
});
