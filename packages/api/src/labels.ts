import type { LabelSelector } from './gen/orchard/v1/meta';
import { BadRequestError } from './errors';
import { checkLabelValue, checkQualifiedName } from './names';

/** The operators of a parsed requirement, as LabelSelectorRequirement spells them. */
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** One requirement: `a=b` is In [b], `a!=b` is NotIn [b], `a` is Exists, `!a` DoesNotExist. */
export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A parsed selector string: every requirement must hold (AND). Empty matches everything. */
export interface LabelSelectorParsed {
  readonly requirements: readonly SelectorRequirement[];
}

export type Labels = Readonly<Record<string, string>>;

/** The selector that matches every object. */
export const EVERYTHING: LabelSelectorParsed = { requirements: [] };

class SelectorSyntaxError extends Error {}

/**
 * Parses a label selector as `kubectl -l` accepts it: comma-separated requirements of the
 * forms `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a` and `!a`.
 * @throws BadRequestError naming the selector and what is wrong with it.
 */
export function parseLabelSelector(selector: string): LabelSelectorParsed {
  try {
    const requirements: SelectorRequirement[] = [];
    for (const part of splitTopLevel(selector)) {
      if (part.trim() === '') {
        if (selector.trim() === '') continue;
        throw new SelectorSyntaxError('found an empty requirement');
      }
      requirements.push(parseRequirement(part.trim()));
    }
    return { requirements };
  } catch (err) {
    if (err instanceof SelectorSyntaxError) {
      throw new BadRequestError(`unable to parse label selector "${selector}": ${err.message}`);
    }
    throw err;
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1) throw new SelectorSyntaxError(`unbalanced parentheses`);
  }
  if (depth !== 0) throw new SelectorSyntaxError(`unbalanced parentheses`);
  parts.push(s.slice(start));
  return parts;
}

const SET_RE = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/;
const EQ_RE = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/;

function parseRequirement(r: string): SelectorRequirement {
  let m = SET_RE.exec(r);
  if (m) {
    const values = m[3]!.split(',').map((v) => v.trim());
    for (const v of values) checkValue(v);
    return req(m[1]!, m[2] === 'in' ? 'In' : 'NotIn', values);
  }
  m = EQ_RE.exec(r);
  if (m) {
    const value = m[3]!.trim();
    if (/[\s=!(),]/.test(value)) throw new SelectorSyntaxError(`invalid value "${value}" in "${r}"`);
    checkValue(value);
    return req(m[1]!, m[2] === '!=' ? 'NotIn' : 'In', [value]);
  }
  if (r.startsWith('!')) return req(r.slice(1).trim(), 'DoesNotExist', []);
  if (/[\s=!()]/.test(r)) throw new SelectorSyntaxError(`cannot understand "${r}"`);
  return req(r, 'Exists', []);
}

function req(key: string, operator: SelectorOperator, values: string[]): SelectorRequirement {
  const errs = checkQualifiedName(key);
  if (errs.length) throw new SelectorSyntaxError(`invalid label key "${key}": ${errs.join('; ')}`);
  return { key, operator, values };
}

function checkValue(v: string): void {
  const errs = checkLabelValue(v);
  if (errs.length) throw new SelectorSyntaxError(`invalid label value "${v}": ${errs.join('; ')}`);
}

/** True when one requirement holds for the labels. */
export function requirementMatches(r: SelectorRequirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels[r.key]!);
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** True when every requirement of a parsed selector holds for the labels. */
export function selectorMatches(sel: LabelSelectorParsed, labels: Labels | undefined): boolean {
  const l = labels ?? {};
  return sel.requirements.every((r) => requirementMatches(r, l));
}

/**
 * Matches a LabelSelector of an object (matchLabels and matchExpressions). As in
 * Kubernetes, an absent selector matches nothing and an empty one matches everything.
 * An unknown operator matches nothing rather than everything (validation rejects it).
 */
export function labelSelectorMatches(sel: LabelSelector | undefined, labels: Labels | undefined): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator;
    if (op !== 'In' && op !== 'NotIn' && op !== 'Exists' && op !== 'DoesNotExist') return false;
    if (!requirementMatches({ key: e.key, operator: op, values: e.values }, l)) return false;
  }
  return true;
}

/** Prints a parsed selector back in the string syntax (`a=b,c notin (x,y)`). */
export function formatLabelSelector(sel: LabelSelectorParsed): string {
  return sel.requirements
    .map((r) => {
      switch (r.operator) {
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        case 'In':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
      }
    })
    .join(',');
}

/** True when s is a valid label key (a qualified name: `[prefix/]name`). */
export function isLabelKey(s: string): boolean {
  return checkQualifiedName(s).length === 0;
}

/** True when s is a valid label value (empty, or up to 63 alphanumerics, '-', '_', '.'). */
export function isLabelValue(s: string): boolean {
  return checkLabelValue(s).length === 0;
}
