import type { ApiObject } from '@orchard/api';

/**
 * Kubernetes' write-only stringData: each entry is merged into data (winning over a
 * data entry of the same key) and the field is cleared, so it is never stored nor
 * returned. Mutates the object it is given (the admitted copy).
 */
export function mergeSecretStringData(obj: ApiObject): ApiObject {
  if (obj.resource?.$case !== 'secret') return obj;
  const s = obj.resource.secret;
  for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(v, 'utf8');
  s.stringData = {};
  return obj;
}
