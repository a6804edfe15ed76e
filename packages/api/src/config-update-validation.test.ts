import { describe, expect, it } from 'vitest';
import { ConfigMap, Secret } from './gen/orchard/v1/config';
import type { ApiObject } from './gen/orchard/v1/object';
import { InvalidError } from './errors';
import { configUpdateErrors, validateConfigUpdate } from './config-update-validation';

const metadata = { name: 'app-config', namespace: 'default' };

function cm(p: Partial<ConfigMap>): ApiObject {
  return { resource: { $case: 'configMap', configMap: ConfigMap.fromPartial({ apiVersion: 'v1', kind: 'ConfigMap', metadata, ...p }) } };
}

function secret(p: Partial<Secret>): ApiObject {
  return { resource: { $case: 'secret', secret: Secret.fromPartial({ apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', ...p }) } };
}

const bytes = (s: string) => Buffer.from(s);

describe('configUpdateErrors', () => {
  const cases: Array<{ name: string; stored: ApiObject; next: ApiObject; fields: string[] }> = [
    { name: 'a mutable ConfigMap changes its data', stored: cm({ data: { a: '1' } }), next: cm({ data: { a: '2' } }), fields: [] },
    { name: 'a mutable ConfigMap becomes immutable', stored: cm({ data: { a: '1' } }), next: cm({ data: { a: '1' }, immutable: true }), fields: [] },
    { name: 'a mutable ConfigMap changes data and becomes immutable at once', stored: cm({ data: { a: '1' } }), next: cm({ data: { a: '2' }, immutable: true }), fields: [] },
    { name: 'an immutable ConfigMap applied unchanged', stored: cm({ data: { a: '1' }, immutable: true }), next: cm({ data: { a: '1' }, immutable: true }), fields: [] },
    { name: 'an immutable ConfigMap gains a label', stored: cm({ data: { a: '1' }, immutable: true }), next: cm({ metadata: { ...metadata, labels: { x: 'y' } } as never, data: { a: '1' }, immutable: true }), fields: [] },
    { name: 'an immutable ConfigMap changes a value', stored: cm({ data: { a: '1' }, immutable: true }), next: cm({ data: { a: '2' }, immutable: true }), fields: ['data'] },
    { name: 'an immutable ConfigMap gains a key', stored: cm({ data: { a: '1' }, immutable: true }), next: cm({ data: { a: '1', b: '2' }, immutable: true }), fields: ['data'] },
    { name: 'an immutable ConfigMap loses a key', stored: cm({ data: { a: '1', b: '2' }, immutable: true }), next: cm({ data: { a: '1' }, immutable: true }), fields: ['data'] },
    { name: 'an immutable ConfigMap changes binaryData', stored: cm({ binaryData: { b: bytes('x') }, immutable: true }), next: cm({ binaryData: { b: bytes('y') }, immutable: true }), fields: ['binaryData'] },
    { name: 'an immutable ConfigMap drops immutable', stored: cm({ data: { a: '1' }, immutable: true }), next: cm({ data: { a: '1' } }), fields: ['immutable'] },
    { name: 'an immutable ConfigMap sets immutable false and changes data', stored: cm({ data: { a: '1' }, immutable: true }), next: cm({ data: { a: '2' }, immutable: false }), fields: ['immutable', 'data'] },
    { name: 'a mutable Secret changes its data', stored: secret({ data: { p: bytes('1') } }), next: secret({ data: { p: bytes('2') } }), fields: [] },
    { name: 'an immutable Secret applied unchanged', stored: secret({ data: { p: bytes('1') }, immutable: true }), next: secret({ data: { p: bytes('1') }, immutable: true }), fields: [] },
    { name: 'an immutable Secret changes its data', stored: secret({ data: { p: bytes('1') }, immutable: true }), next: secret({ data: { p: bytes('2') }, immutable: true }), fields: ['data'] },
    { name: 'an immutable Secret drops immutable', stored: secret({ data: { p: bytes('1') }, immutable: true }), next: secret({ data: { p: bytes('1') } }), fields: ['immutable'] },
    { name: 'a Secret changes its type', stored: secret({ data: { p: bytes('1') } }), next: secret({ type: 'kubernetes.io/tls', data: { p: bytes('1') } }), fields: ['type'] },
    { name: 'a Secret with an empty type is Opaque', stored: secret({ type: '', data: { p: bytes('1') } }), next: secret({ data: { p: bytes('1') } }), fields: [] },
  ];
  for (const c of cases) it(c.name, () => expect(configUpdateErrors(c.stored, c.next).list.map((e) => e.field)).toEqual(c.fields));
});

describe('validateConfigUpdate', () => {
  it('throws an InvalidError worded as Kubernetes does, naming the field', () => {
    const err = (() => {
      try {
        validateConfigUpdate(cm({ data: { a: '1' }, immutable: true }), cm({ data: { a: '2' }, immutable: true }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as Error).message).toBe('ConfigMap "app-config" is invalid: data: Forbidden: field is immutable when `immutable` is set');
  });

  it('never echoes the data of a Secret', () => {
    expect(() => validateConfigUpdate(secret({ data: { p: bytes('hunter2') }, immutable: true }), secret({ data: { p: bytes('hunter3') }, immutable: true }))).toThrow(
      /^Secret "app-config" is invalid: data: Forbidden: field is immutable when `immutable` is set$/,
    );
  });

  it('lets other kinds through', () => {
    const ns: ApiObject = { resource: { $case: 'namespace', namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: undefined, status: undefined } as never } };
    expect(() => validateConfigUpdate(ns, ns)).not.toThrow();
  });
});
