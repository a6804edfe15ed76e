import type { ApiObject } from './gen/orchard/v1/object';
import type { Node } from './gen/orchard/v1/node';
import { InvalidError, type FieldError } from './errors';
import { FieldErrors } from './field-errors';
import { kindOf, metaOf } from './kinds';
import { validateMeta } from './meta-validation';
import { checkDns1123Label, checkDns1123Subdomain, checkLabelValue, checkQualifiedName } from './names';
import { TAINT_EFFECTS, validatePodSpec } from './pod-validation';
import { validateConfigMapData, validateSecretData } from './config-validation';

/**
 * Every problem of an object, as Kubernetes field errors. Pure and allocation-light: the
 * master runs it on every write, the scheduler on every bind.
 */
export function objectErrors(obj: ApiObject): FieldError[] {
  const errs = new FieldErrors();
  const r = obj.resource;
  switch (r?.$case) {
    case 'pod':
      validateMeta(r.pod.metadata, true, checkDns1123Label, errs);
      validatePodSpec(r.pod.spec, errs);
      break;
    case 'node':
      validateMeta(r.node.metadata, false, checkDns1123Subdomain, errs);
      validateNodeSpec(r.node, errs);
      break;
    case 'namespace':
      validateMeta(r.namespace.metadata, false, checkDns1123Label, errs);
      break;
    case 'configMap':
      validateMeta(r.configMap.metadata, true, checkDns1123Subdomain, errs);
      validateConfigMapData(r.configMap, errs);
      break;
    case 'secret':
      validateMeta(r.secret.metadata, true, checkDns1123Subdomain, errs);
      validateSecretData(r.secret, errs);
      break;
    case undefined:
      errs.required('kind');
      break;
  }
  return errs.list;
}

/**
 * Validates an object.
 * @throws InvalidError listing every field error, worded like Kubernetes:
 *   `Pod "web" is invalid: spec.containers[0].image: Required value`.
 */
export function validateObject(obj: ApiObject): void {
  const errors = objectErrors(obj);
  if (errors.length === 0) return;
  const kind = obj.resource ? kindOf(obj).kind : 'Object';
  const meta = obj.resource ? metaOf(obj) : undefined;
  throw new InvalidError(kind, meta?.name || meta?.generateName || '', errors);
}

function validateNodeSpec(node: Node, errs: FieldErrors): void {
  const seen = new Set<string>();
  node.spec?.taints.forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    if (t.key === '') errs.required(`${p}.key`);
    else errs.check(`${p}.key`, t.key, checkQualifiedName(t.key));
    if (t.value !== '') errs.check(`${p}.value`, t.value, checkLabelValue(t.value));
    errs.oneOf(`${p}.effect`, t.effect, TAINT_EFFECTS, false);
    const id = `${t.key}:${t.effect}`;
    if (seen.has(id)) errs.duplicate(p, `${t.key}:${t.effect}`);
    seen.add(id);
  });
}
