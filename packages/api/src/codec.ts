import * as protobuf from 'protobufjs';
import { LineCounter, parseAllDocuments, stringify, type ScalarTag } from 'yaml';
import descriptor from './gen/descriptor.json';
import { ApiObject } from './gen/orchard/v1/object';
import { BadRequestError, type FieldError, formatFieldError } from './errors';
import { kindByName, kindOf, unwrap, type KindInfo } from './kinds';

/**
 * The manifest codec: Kubernetes-shaped YAML/JSON to ApiObject and back. Manifests are
 * the proto3 JSON form of the messages (camelCase names, which is the Kubernetes
 * spelling), checked strictly against the protobuf reflection generated from proto/:
 * an unknown field or a value of the wrong type is an error naming its path, never
 * silently dropped.
 */

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
root.resolveAll();
const PACKAGE = 'orchard.v1';

function messageType(name: string): protobuf.Type {
  return root.lookupType(`${PACKAGE}.${name}`);
}

/**
 * The manifest name of a field: its proto3 JSON name, which proto/ sets where Kubernetes
 * spells an acronym in capitals (podIP, containerID, podCIDR).
 */
function jsonName(field: protobuf.Field): string {
  const n = field.options?.json_name;
  return typeof n === 'string' ? n : field.name;
}

const fieldsByJsonName = new Map<protobuf.Type, Map<string, protobuf.Field>>();

function jsonFields(type: protobuf.Type): Map<string, protobuf.Field> {
  let m = fieldsByJsonName.get(type);
  if (!m) {
    m = new Map(type.fieldsArray.map((f) => [jsonName(f), f]));
    fieldsByJsonName.set(type, m);
  }
  return m;
}

// Kubernetes types these as IntOrString; proto holds them as strings. A manifest may
// give a number, and encodeObject prints digits back as a number.
const INT_OR_STRING = new Set(['HTTPGetAction.port', 'TCPSocketAction.port']);
// Kubernetes types these as resource.Quantity, which accepts a bare number (`cpu: 1`).
const QUANTITY_STRING = new Set([
  'ResourceRequirements.limits',
  'ResourceRequirements.requests',
  'NodeStatus.capacity',
  'NodeStatus.allocatable',
  'EmptyDirVolumeSource.sizeLimit',
  'ResourceFieldSelector.divisor',
]);
// Printed even when zero/false, because Kubernetes prints them (omitting `ready: false`
// or `exitCode: 0` would hide the answer people look for).
const ALWAYS_PRINT = new Set([
  'ContainerStatus.ready',
  'ContainerStatus.restartCount',
  'ContainerStateTerminated.exitCode',
]);

const INT32_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};
const INT64_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

/** A manifest that cannot be turned into objects; `problems` holds one line per document. */
export class ManifestError extends BadRequestError {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return `number ${v}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  return typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** Checks one message value against its type; returns the normalized JSON for fromJSON. */
function decodeMessage(v: Record<string, unknown>, type: protobuf.Type, path: string, errs: FieldError[]) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    const field = jsonFields(type).get(key);
    const p = join(path, key);
    if (!field) {
      errs.push({ field: p, type: 'Unknown field' });
      continue;
    }
    // Kubernetes manifests often carry `creationTimestamp: null` or `resources: null`:
    // null means "not set".
    if (value === null || value === undefined) continue;
    const qualified = `${type.name}.${field.name}`;
    if (field.map) {
      if (!isPlainObject(value)) {
        errs.push(typeError(p, 'a map', value));
        continue;
      }
      const m: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(value)) {
        const d = decodeField(item, field, `${p}[${k}]`, errs, QUANTITY_STRING.has(qualified));
        if (d !== undefined) m[k] = d;
      }
      out[key] = m;
    } else if (field.repeated) {
      if (!Array.isArray(value)) {
        errs.push(typeError(p, 'a list', value));
        continue;
      }
      out[key] = value.map((item, i) => decodeField(item, field, `${p}[${i}]`, errs, false));
    } else {
      const d = decodeField(value, field, p, errs, INT_OR_STRING.has(qualified) || QUANTITY_STRING.has(qualified));
      if (d !== undefined) out[key] = d;
    }
  }
  return out;
}

function typeError(field: string, expected: string, got: unknown): FieldError {
  return { field, type: 'Invalid type', detail: `expected ${expected}, got ${describeJson(got)}` };
}

/** Checks one value (a singular field, list item or map value). */
function decodeField(v: unknown, field: protobuf.Field, path: string, errs: FieldError[], numberAsString: boolean): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) {
    if (!isPlainObject(v)) {
      errs.push(typeError(path, 'a map', v));
      return undefined;
    }
    return decodeMessage(v, rt, path, errs);
  }
  if (rt instanceof protobuf.Enum) {
    if (typeof v !== 'string' || !(v in rt.values)) {
      errs.push(typeError(path, `one of ${Object.keys(rt.values).join(', ')}`, v));
      return undefined;
    }
    return v;
  }
  switch (field.type) {
    case 'string':
      if (typeof v === 'string') return v;
      if (numberAsString && typeof v === 'number' && Number.isFinite(v)) return String(v);
      errs.push(typeError(path, 'a string', v));
      return undefined;
    case 'bool':
      if (typeof v === 'boolean') return v;
      errs.push(typeError(path, 'true or false', v));
      return undefined;
    case 'double':
    case 'float':
      if (typeof v === 'number') return v;
      errs.push(typeError(path, 'a number', v));
      return undefined;
    case 'bytes':
      if (typeof v === 'string' && BASE64.test(v) && v.length % 4 === 0) return v;
      errs.push(typeError(path, 'a base64 string', v));
      return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    errs.push(typeError(path, 'an integer', v));
    return undefined;
  }
  const range = INT32_RANGE[field.type];
  if (range && (v < range[0] || v > range[1])) {
    errs.push({ field: path, type: 'Invalid value', value: v, detail: `must fit in ${field.type}` });
    return undefined;
  }
  if (INT64_TYPES.has(field.type) && !Number.isSafeInteger(v)) {
    errs.push({ field: path, type: 'Invalid value', value: v, detail: 'out of range' });
    return undefined;
  }
  if (field.type.startsWith('u') && v < 0) {
    errs.push({ field: path, type: 'Invalid value', value: v, detail: 'must not be negative' });
    return undefined;
  }
  return v;
}

function resolveManifestKind(doc: Record<string, unknown>): KindInfo {
  const { apiVersion, kind } = doc;
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') throw new BadRequestError('apiVersion not set');
  if (kind === undefined || kind === null || kind === '') throw new BadRequestError('kind not set');
  if (typeof apiVersion !== 'string') throw new BadRequestError(`apiVersion: expected a string, got ${describeJson(apiVersion)}`);
  if (typeof kind !== 'string') throw new BadRequestError(`kind: expected a string, got ${describeJson(kind)}`);
  const info = kindByName(kind);
  if (!info || info.apiVersion !== apiVersion) {
    throw new BadRequestError(`no matches for kind "${kind}" in version "${apiVersion}"`);
  }
  return info;
}

/**
 * Decodes one manifest object (already parsed from YAML or JSON) into an ApiObject.
 * @throws BadRequestError for an unknown kind or version, an unknown field or a value of
 *   the wrong type, naming every offending field with its path.
 */
export function decodeObject(json: unknown): ApiObject {
  if (!isPlainObject(json)) throw new BadRequestError(`expected an object (a map), got ${describeJson(json)}`);
  const info = resolveManifestKind(json);
  const errs: FieldError[] = [];
  const normalized = decodeMessage(json, messageType(info.kind), '', errs);
  if (errs.length > 0) {
    const meta = json.metadata;
    const name = isPlainObject(meta) && typeof meta.name === 'string' ? ` "${meta.name}"` : '';
    throw new BadRequestError(
      `${info.kind}${name} in version "${info.apiVersion}" cannot be handled as a ${info.kind}: strict decoding error: ` +
        errs.map(formatFieldError).join(', '),
    );
  }
  return ApiObject.fromJSON({ [info.case]: normalized });
}

/**
 * `0644` as an octal number, the way Kubernetes (YAML 1.1) reads file modes such as
 * `defaultMode: 0644`; plain YAML 1.2 would read 644. Only the leading-zero form is
 * affected: no other value changes meaning.
 */
const yaml11Octal: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^0[0-7]+$/,
  resolve: (s) => parseInt(s, 8),
};

/** The objects of a manifest text that decoded, and one line per document that did not. */
export interface DecodedManifests {
  objects: ApiObject[];
  problems: string[];
}

/**
 * Decodes a manifest text: multi-document YAML (`---`) or JSON. Empty documents are
 * skipped; a `kind: List` expands into its items. Good documents are returned even when
 * others fail, so a caller can report every problem of a file in one go.
 * @param source names the input in problems (a file name or "STDIN").
 */
export function decodeManifests(text: string, source: string): DecodedManifests {
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *defaults`) are accepted as Kubernetes' YAML reader accepts them.
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: true, customTags: (tags) => [yaml11Octal, ...tags] });
  const list = Array.isArray(docs) ? docs : [];
  const objects: ApiObject[] = [];
  const problems: string[] = [];
  list.forEach((doc, i) => {
    const where = `error parsing ${source}: document ${i + 1}`;
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      // The parser's message repeats the position and quotes the source; keep the gist.
      const gist = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      problems.push(`${where}, line ${pos.line}, column ${pos.col}: invalid YAML: ${gist}`);
      return;
    }
    if (doc.contents === null) return;
    let json: unknown;
    try {
      json = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
      return;
    }
    if (json === null || json === undefined) return;
    const items = isPlainObject(json) && json.kind === 'List' ? json.items : [json];
    if (!Array.isArray(items)) {
      problems.push(`${where}: List: items must be a list`);
      return;
    }
    items.forEach((item, j) => {
      try {
        objects.push(decodeObject(item));
      } catch (err) {
        const at = item !== json ? ` (items[${j}])` : '';
        problems.push(`${where}${at}: ${(err as Error).message}`);
      }
    });
  });
  return { objects, problems };
}

/**
 * Parses a manifest text (see decodeManifests); nothing is returned unless every
 * document decodes.
 * @throws ManifestError listing the problem of each failing document, with its number
 *   (and line and column for malformed YAML).
 */
export function parseManifests(text: string, source: string): ApiObject[] {
  const { objects, problems } = decodeManifests(text, source);
  if (problems.length > 0) throw new ManifestError(problems);
  return objects;
}

function isEmptyScalar(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function encodeMessage(v: Record<string, unknown>, type: protobuf.Type): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = v[field.name];
    if (value === undefined || value === null) continue;
    const qualified = `${type.name}.${field.name}`;
    const rt = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    // bytes print as base64, the proto3 JSON (and Kubernetes) form of Secret data.
    const one = (x: unknown): unknown =>
      rt ? encodeMessage(x as Record<string, unknown>, rt) : x instanceof Uint8Array ? Buffer.from(x).toString('base64') : x;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[jsonName(field)] = Object.fromEntries(entries.map(([k, x]) => [k, one(x)]));
    } else if (field.repeated) {
      const arr = value as unknown[];
      if (arr.length === 0) continue;
      out[jsonName(field)] = arr.map(one);
    } else if (rt) {
      // A set message is printed even when empty: `emptyDir: {}` is how a volume says
      // which source it uses.
      out[jsonName(field)] = one(value);
    } else {
      const optional = field.options?.proto3_optional === true;
      if (!optional && isEmptyScalar(value) && !ALWAYS_PRINT.has(qualified)) continue;
      out[jsonName(field)] = INT_OR_STRING.has(qualified) && /^\d+$/.test(String(value)) ? Number(value) : one(value);
    }
  }
  return out;
}

/**
 * Encodes an object as Kubernetes prints it: apiVersion, kind, metadata, spec, status in
 * that order, empty values left out, IntOrString fields holding digits as numbers.
 */
export function encodeObject(obj: ApiObject): Record<string, unknown> {
  const info = kindOf(obj);
  const body = encodeMessage(unwrap(obj) as unknown as Record<string, unknown>, messageType(info.kind));
  // The kind decides apiVersion and kind, whatever the stored object carries.
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = body;
  return { apiVersion: info.apiVersion, kind: info.kind, ...rest };
}

/** A list of objects as `kubectl get -o yaml|json` prints several: `kind: List` with items. */
export function encodeList(objs: readonly ApiObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items: objs.map(encodeObject), kind: 'List', metadata: { resourceVersion: '' } };
}

/**
 * YAML text of a plain value, for `-o yaml`: lists not indented under their key, as
 * kubectl prints them, and no line folding, so long strings stay greppable.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, minContentWidth: 0, indentSeq: false });
}
