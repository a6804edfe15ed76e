import { describe, expect, it } from 'vitest';
import { Secret, type ApiObject } from '@orchard/api';
import { mergeSecretStringData } from './secret-string-data';

function secret(p: Partial<Secret>): ApiObject {
  return { resource: { $case: 'secret', secret: Secret.fromPartial({ metadata: { name: 's', namespace: 'default' }, ...p }) } };
}

describe('mergeSecretStringData', () => {
  const cases: Array<{ name: string; in: Partial<Secret>; data: Record<string, string> }> = [
    { name: 'stringData alone becomes data', in: { stringData: { user: 'admin' } }, data: { user: 'admin' } },
    { name: 'stringData wins over data of the same key', in: { data: { user: Buffer.from('old') }, stringData: { user: 'new' } }, data: { user: 'new' } },
    { name: 'data keys without stringData are kept', in: { data: { a: Buffer.from('1') }, stringData: { b: '2' } }, data: { a: '1', b: '2' } },
    { name: 'no stringData changes nothing', in: { data: { a: Buffer.from('1') } }, data: { a: '1' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = mergeSecretStringData(secret(c.in));
      const s = out.resource?.$case === 'secret' ? out.resource.secret : undefined;
      const data = Object.fromEntries(Object.entries(s!.data).map(([k, v]) => [k, Buffer.from(v).toString('utf8')]));
      expect(data).toEqual(c.data);
      expect(s!.stringData).toEqual({});
    });
  }
});
