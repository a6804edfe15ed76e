import { describe, expect, it } from 'vitest';
import { LabelSelector } from './gen/orchard/v1/meta';
import { formatLabelSelector, isLabelKey, isLabelValue, labelSelectorMatches, parseLabelSelector, selectorMatches } from './labels';

const web = { app: 'web', tier: 'frontend' };
const db = { app: 'db', tier: 'backend', disk: 'ssd' };
const none = {};

describe('parseLabelSelector + selectorMatches', () => {
  const cases: Array<{ name: string; sel: string; matches: Array<Record<string, string>>; rejects: Array<Record<string, string>> }> = [
    { name: 'empty matches everything', sel: '', matches: [web, db, none], rejects: [] },
    { name: 'equality', sel: 'app=web', matches: [web], rejects: [db, none] },
    { name: 'double equals', sel: 'app==web', matches: [web], rejects: [db] },
    { name: 'inequality matches missing label', sel: 'app!=web', matches: [db, none], rejects: [web] },
    { name: 'in set', sel: 'app in (web, db)', matches: [web, db], rejects: [none] },
    { name: 'notin set', sel: 'tier notin (backend)', matches: [web, none], rejects: [db] },
    { name: 'exists', sel: 'disk', matches: [db], rejects: [web, none] },
    { name: 'does not exist', sel: '!disk', matches: [web, none], rejects: [db] },
    { name: 'conjunction', sel: 'app in (web,db),tier=backend', matches: [db], rejects: [web] },
    { name: 'spaces around operators', sel: ' app = web , tier ', matches: [web], rejects: [db] },
    { name: 'prefixed key', sel: 'example.com/role=x', matches: [{ 'example.com/role': 'x' }], rejects: [web] },
    { name: 'empty value', sel: 'app=', matches: [{ app: '' }], rejects: [web, none] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const sel = parseLabelSelector(c.sel);
      for (const l of c.matches) expect(selectorMatches(sel, l), JSON.stringify(l)).toBe(true);
      for (const l of c.rejects) expect(selectorMatches(sel, l), JSON.stringify(l)).toBe(false);
    });
  }

  const bad: Array<[string, string, RegExp]> = [
    ['unbalanced parenthesis', 'app in (a,b', /unbalanced parentheses/],
    ['bad key', 'a b=c', /unable to parse label selector/],
    ['bad value', 'app=-web-', /invalid label value "-web-"/],
    ['empty requirement', 'app=web,,tier', /empty requirement/],
    ['nested parentheses', 'app in ((a))', /unbalanced parentheses/],
    ['key too long', `${'k'.repeat(64)}=v`, /no more than 63 characters/],
  ];
  for (const [name, sel, re] of bad) it(`rejects ${name}`, () => expect(() => parseLabelSelector(sel)).toThrow(re));
});

describe('formatLabelSelector', () => {
  const cases: Array<[string, string, string]> = [
    ['equality', 'app==web', 'app=web'],
    ['sets and existence', 'a in (x,y),b notin (z,w),c,!d', 'a in (x,y),b notin (z,w),c,!d'],
    ['inequality', 'a!=b', 'a!=b'],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(formatLabelSelector(parseLabelSelector(input))).toBe(want));
});

describe('labelSelectorMatches', () => {
  const cases: Array<{ name: string; sel: LabelSelector | undefined; labels: Record<string, string>; want: boolean }> = [
    { name: 'absent selector matches nothing', sel: undefined, labels: web, want: false },
    { name: 'empty selector matches everything', sel: LabelSelector.fromPartial({}), labels: web, want: true },
    { name: 'matchLabels hit', sel: LabelSelector.fromPartial({ matchLabels: { app: 'web' } }), labels: web, want: true },
    { name: 'matchLabels miss', sel: LabelSelector.fromPartial({ matchLabels: { app: 'web' } }), labels: db, want: false },
    {
      name: 'In expression',
      sel: LabelSelector.fromPartial({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] }),
      labels: db,
      want: true,
    },
    {
      name: 'NotIn expression',
      sel: LabelSelector.fromPartial({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['backend'] }] }),
      labels: db,
      want: false,
    },
    {
      name: 'Exists and DoesNotExist together',
      sel: LabelSelector.fromPartial({
        matchExpressions: [
          { key: 'disk', operator: 'Exists', values: [] },
          { key: 'gpu', operator: 'DoesNotExist', values: [] },
        ],
      }),
      labels: db,
      want: true,
    },
    {
      name: 'unknown operator matches nothing',
      sel: LabelSelector.fromPartial({ matchExpressions: [{ key: 'app', operator: 'Near', values: [] }] }),
      labels: web,
      want: false,
    },
    {
      name: 'labels and expressions must both hold',
      sel: LabelSelector.fromPartial({
        matchLabels: { app: 'db' },
        matchExpressions: [{ key: 'disk', operator: 'DoesNotExist', values: [] }],
      }),
      labels: db,
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => expect(labelSelectorMatches(c.sel, c.labels)).toBe(c.want));
});

describe('isLabelKey / isLabelValue', () => {
  const keys: Array<[string, boolean]> = [
    ['app', true],
    ['example.com/app', true],
    ['Example.com/app', false],
    ['-app', false],
    ['a'.repeat(64), false],
  ];
  for (const [k, want] of keys) it(`key ${JSON.stringify(k.length > 20 ? `${k.slice(0, 5)}…` : k)} → ${want}`, () => expect(isLabelKey(k)).toBe(want));
  const values: Array<[string, boolean]> = [
    ['', true],
    ['v1.2_x', true],
    ['a b', false],
    ['v'.repeat(64), false],
  ];
  for (const [v, want] of values) it(`value ${JSON.stringify(v.length > 20 ? `${v.slice(0, 5)}…` : v)} → ${want}`, () => expect(isLabelValue(v)).toBe(want));
});
