import { ApiObject } from './gen/orchard/v1/object';
import { Pod } from './gen/orchard/v1/pod';
import { Namespace, Node } from './gen/orchard/v1/node';
import { ConfigMap, Secret } from './gen/orchard/v1/config';
import { ObjectMeta } from './gen/orchard/v1/meta';
import { UnknownKindError } from './errors';

/** The oneof case that names a kind inside an ApiObject ("pod", "node", ...). */
export type ObjectCase = NonNullable<ApiObject['resource']>['$case'];

/** The object inside an ApiObject envelope; every kind has apiVersion, kind and metadata. */
export type KindObject = Pod | Node | Namespace | ConfigMap | Secret;

/** What the API knows about a kind: its names (as kubectl accepts them) and scope. */
export interface KindInfo {
  readonly kind: string;
  readonly case: ObjectCase;
  readonly apiVersion: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
}

/** Every kind the cluster API serves. Adding a kind: a field in proto ApiObject and a row here. */
export const KINDS: readonly KindInfo[] = [
  { kind: 'Pod', case: 'pod', apiVersion: 'v1', plural: 'pods', singular: 'pod', shortNames: ['po'], namespaced: true },
  { kind: 'Node', case: 'node', apiVersion: 'v1', plural: 'nodes', singular: 'node', shortNames: ['no'], namespaced: false },
  {
    kind: 'Namespace',
    case: 'namespace',
    apiVersion: 'v1',
    plural: 'namespaces',
    singular: 'namespace',
    shortNames: ['ns'],
    namespaced: false,
  },
  {
    kind: 'ConfigMap',
    case: 'configMap',
    apiVersion: 'v1',
    plural: 'configmaps',
    singular: 'configmap',
    shortNames: ['cm'],
    namespaced: true,
  },
  { kind: 'Secret', case: 'secret', apiVersion: 'v1', plural: 'secrets', singular: 'secret', shortNames: [], namespaced: true },
];

const byName = new Map<string, KindInfo>();
for (const k of KINDS) {
  for (const n of [k.kind, k.plural, k.singular, ...k.shortNames]) byName.set(n.toLowerCase(), k);
}
const byCase = new Map<ObjectCase, KindInfo>(KINDS.map((k) => [k.case, k]));

/**
 * Resolves a kind as a user types it (Pod, pod, pods, po; case-insensitive).
 * @throws UnknownKindError naming the resource type.
 */
export function resolveKind(name: string): KindInfo {
  const k = byName.get(name.trim().toLowerCase());
  if (!k) throw new UnknownKindError(name);
  return k;
}

/** Looks a kind up by its exact `kind` field value ("Pod"), as in a manifest. */
export function kindByName(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

export function kindByCase(c: ObjectCase): KindInfo {
  const k = byCase.get(c);
  if (!k) throw new UnknownKindError(c);
  return k;
}

/** The kind of an envelope; throws on an empty envelope. */
export function kindOf(obj: ApiObject): KindInfo {
  if (!obj.resource) throw new UnknownKindError('(empty object)');
  return kindByCase(obj.resource.$case);
}

/** The object inside an envelope. */
export function unwrap(obj: ApiObject): KindObject {
  const r = obj.resource;
  if (!r) throw new UnknownKindError('(empty object)');
  switch (r.$case) {
    case 'pod':
      return r.pod;
    case 'node':
      return r.node;
    case 'namespace':
      return r.namespace;
    case 'configMap':
      return r.configMap;
    case 'secret':
      return r.secret;
  }
}

/** Puts an object of the given kind into an envelope. */
export function wrap(kind: KindInfo, o: KindObject): ApiObject {
  switch (kind.case) {
    case 'pod':
      return { resource: { $case: 'pod', pod: o as Pod } };
    case 'node':
      return { resource: { $case: 'node', node: o as Node } };
    case 'namespace':
      return { resource: { $case: 'namespace', namespace: o as Namespace } };
    case 'configMap':
      return { resource: { $case: 'configMap', configMap: o as ConfigMap } };
    case 'secret':
      return { resource: { $case: 'secret', secret: o as Secret } };
  }
}

export function wrapPod(pod: Pod): ApiObject {
  return { resource: { $case: 'pod', pod } };
}

export function wrapNode(node: Node): ApiObject {
  return { resource: { $case: 'node', node } };
}

/** The metadata of an envelope's object (an empty one when absent). */
export function metaOf(obj: ApiObject): ObjectMeta {
  return unwrap(obj).metadata ?? ObjectMeta.fromPartial({});
}

/** Deep copy: objects from caches are never mutated in place. */
export function cloneObject(obj: ApiObject): ApiObject {
  return ApiObject.decode(ApiObject.encode(obj).finish());
}

/** "pods/default/web", "nodes/pi1": the key of an object in the store and caches. */
export function objectKey(kind: KindInfo, namespace: string, name: string): string {
  return kind.namespaced ? `${kind.plural}/${namespace}/${name}` : `${kind.plural}/${name}`;
}
