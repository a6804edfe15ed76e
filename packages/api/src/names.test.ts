import { describe, expect, it } from 'vitest';
import { checkDns1123Label, checkDns1123Subdomain, checkEnvVarName, checkLabelValue, checkQualifiedName } from './names';

type Check = (s: string) => string[];
const table: Array<{ check: Check; name: string; valid: string[]; invalid: Array<[string, RegExp]> }> = [
  {
    check: checkDns1123Label,
    name: 'DNS-1123 label',
    valid: ['web', 'a', '123-abc', 'x'.repeat(63)],
    invalid: [
      ['Web', /RFC 1123 label/],
      ['-web', /RFC 1123 label/],
      ['web.1', /RFC 1123 label/],
      ['', /RFC 1123 label/],
      ['x'.repeat(64), /no more than 63 characters/],
    ],
  },
  {
    check: checkDns1123Subdomain,
    name: 'DNS-1123 subdomain',
    valid: ['pi1', 'node.example.com', 'a-b.c'],
    invalid: [
      ['Pi1', /RFC 1123 subdomain/],
      ['a..b', /RFC 1123 subdomain/],
      ['a'.repeat(254), /no more than 253 characters/],
    ],
  },
  {
    check: checkQualifiedName,
    name: 'qualified name',
    valid: ['app', 'App_1', 'example.com/role', 'kubernetes.io/hostname'],
    invalid: [
      ['/app', /prefix part must be non-empty/],
      ['Example.com/app', /prefix part a lowercase RFC 1123 subdomain/],
      ['a/b/c', /qualified name must consist/],
      ['-app', /name part must consist/],
      ['example.com/', /name part must be non-empty/],
      ['k'.repeat(64), /name part must be no more than 63/],
    ],
  },
  {
    check: checkLabelValue,
    name: 'label value',
    valid: ['', 'v1', 'My_value.2'],
    invalid: [
      ['-x', /a valid label must be/],
      ['a b', /a valid label must be/],
      ['v'.repeat(64), /no more than 63/],
    ],
  },
  {
    check: checkEnvVarName,
    name: 'environment variable name',
    valid: ['PATH', 'my.env-name', '_X'],
    invalid: [
      ['1X', /environment variable name/],
      ['A B', /environment variable name/],
      ['..', /must not be/],
    ],
  },
];

for (const t of table) {
  describe(t.name, () => {
    for (const v of t.valid) it(`accepts ${JSON.stringify(v.length > 20 ? `${v.slice(0, 8)}…(${v.length})` : v)}`, () => expect(t.check(v)).toEqual([]));
    for (const [v, re] of t.invalid) {
      it(`rejects ${JSON.stringify(v.length > 20 ? `${v.slice(0, 8)}…(${v.length})` : v)}`, () => {
        const errs = t.check(v);
        expect(errs.some((e) => re.test(e)), errs.join(' | ')).toBe(true);
      });
    }
  });
}
