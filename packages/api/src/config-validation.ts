import type { ConfigMap, Secret } from './gen/orchard/v1/config';
import type { FieldErrors } from './field-errors';

/** Kubernetes' limit on the data of one ConfigMap or Secret (etcd's value limit leaves room for it). */
export const MAX_CONFIG_DATA_BYTES = 1024 * 1024;
/** The Secret type of registry credentials, and the key it must hold. */
export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';

const KEY_PATTERN = /^[-._a-zA-Z0-9]+$/;
const MAX_KEY_LENGTH = 253;

/** Kubernetes' IsConfigMapKey: the problems of a data key (it becomes a file name). */
export function checkConfigKey(key: string): string[] {
  const problems: string[] = [];
  if (key.length > MAX_KEY_LENGTH) problems.push(`must be no more than ${MAX_KEY_LENGTH} characters`);
  if (!KEY_PATTERN.test(key)) problems.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.'");
  if (key === '.' || key === '..') problems.push(`must not be '${key}'`);
  else if (key.startsWith('..')) problems.push("must not start with '..'");
  return problems;
}

/** The keys of a ConfigMap (data and binaryData together: a key may be in one of them only) and its size. */
export function validateConfigMapData(cm: ConfigMap, errs: FieldErrors): void {
  let size = 0;
  for (const [k, v] of Object.entries(cm.data)) {
    errs.check(`data[${k}]`, k, checkConfigKey(k));
    size += Buffer.byteLength(v);
  }
  for (const [k, v] of Object.entries(cm.binaryData)) {
    errs.check(`binaryData[${k}]`, k, checkConfigKey(k));
    if (k in cm.data) errs.invalid(`binaryData[${k}]`, k, 'duplicate of key present in data');
    size += v.length;
  }
  if (size > MAX_CONFIG_DATA_BYTES) errs.invalid('data', '', `Too long: must have at most ${MAX_CONFIG_DATA_BYTES} bytes`);
}

/**
 * The keys and size of a Secret's data (stringData is merged into data before this runs),
 * and the content its type requires: a dockerconfigjson Secret holds valid JSON under
 * `.dockerconfigjson`.
 */
export function validateSecretData(secret: Secret, errs: FieldErrors): void {
  let size = 0;
  for (const [k, v] of Object.entries(secret.data)) {
    errs.check(`data[${k}]`, k, checkConfigKey(k));
    size += v.length;
  }
  for (const k of Object.keys(secret.stringData)) errs.check(`stringData[${k}]`, k, checkConfigKey(k));
  if (size > MAX_CONFIG_DATA_BYTES) errs.invalid('data', '', `Too long: must have at most ${MAX_CONFIG_DATA_BYTES} bytes`);
  if (secret.type === DOCKER_CONFIG_JSON_TYPE) {
    const raw = secret.data[DOCKER_CONFIG_JSON_KEY] ?? (secret.stringData[DOCKER_CONFIG_JSON_KEY] !== undefined ? Buffer.from(secret.stringData[DOCKER_CONFIG_JSON_KEY]!) : undefined);
    const field = `data[${DOCKER_CONFIG_JSON_KEY}]`;
    if (raw === undefined) {
      errs.required(field);
    } else {
      try {
        const parsed: unknown = JSON.parse(Buffer.from(raw).toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) errs.invalid(field, '<secret contents redacted>', 'must be a JSON object');
      } catch (err) {
        errs.invalid(field, '<secret contents redacted>', `invalid JSON: ${(err as Error).message}`);
      }
    }
  }
}
