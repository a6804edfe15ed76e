import type { ConfigMap, Secret } from './gen/orchard/v1/config';
import type { ApiObject } from './gen/orchard/v1/object';
import { InvalidError } from './errors';
import { FieldErrors } from './field-errors';

/** Kubernetes' wording for a change to an object marked `immutable: true`. */
export const IMMUTABLE_DETAIL = 'field is immutable when `immutable` is set';

/**
 * The problems of replacing `stored` with `next` when both are ConfigMaps or Secrets:
 * once `immutable: true` is stored, data, binaryData (stringData is merged into data)
 * and immutable itself can no longer change, as in Kubernetes' ValidateConfigMapUpdate
 * and ValidateSecretUpdate. Metadata (labels, annotations) may change; deletion is
 * always allowed. A Secret's type never changes, immutable or not.
 */
export function configUpdateErrors(stored: ApiObject, next: ApiObject): FieldErrors {
  const errs = new FieldErrors();
  if (stored.resource?.$case === 'configMap' && next.resource?.$case === 'configMap') {
    const [a, b] = [stored.resource.configMap, next.resource.configMap];
    if (a.immutable) {
      immutableFlag(a, b, errs);
      if (!sameStrings(a.data, b.data)) errs.forbidden('data', IMMUTABLE_DETAIL);
      if (!sameBytes(a.binaryData, b.binaryData)) errs.forbidden('binaryData', IMMUTABLE_DETAIL);
    }
  } else if (stored.resource?.$case === 'secret' && next.resource?.$case === 'secret') {
    const [a, b] = [stored.resource.secret, next.resource.secret];
    if ((a.type || 'Opaque') !== (b.type || 'Opaque')) errs.invalid('type', b.type, 'field is immutable');
    if (a.immutable) {
      immutableFlag(a, b, errs);
      if (!sameBytes(a.data, b.data)) errs.forbidden('data', IMMUTABLE_DETAIL);
    }
  }
  return errs;
}

/**
 * Throws InvalidError naming every field an update of a ConfigMap or Secret may not
 * change (see configUpdateErrors); other kinds pass.
 */
export function validateConfigUpdate(stored: ApiObject, next: ApiObject): void {
  const errs = configUpdateErrors(stored, next);
  if (errs.list.length === 0) return;
  const kind = next.resource?.$case === 'secret' ? 'Secret' : 'ConfigMap';
  const o = next.resource?.$case === 'secret' ? next.resource.secret : next.resource?.$case === 'configMap' ? next.resource.configMap : undefined;
  throw new InvalidError(kind, o?.metadata?.name ?? '', errs.list);
}

function immutableFlag(_stored: ConfigMap | Secret, b: ConfigMap | Secret, errs: FieldErrors): void {
  // Only reached when the stored object is immutable: unsetting it is the change refused.
  if (!b.immutable) errs.forbidden('immutable', IMMUTABLE_DETAIL);
}

function sameStrings(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && a[k] === b[k]);
}

function sameBytes(a: Record<string, Uint8Array>, b: Record<string, Uint8Array>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] !== undefined && Buffer.from(a[k]!).equals(Buffer.from(b[k]!)));
}
