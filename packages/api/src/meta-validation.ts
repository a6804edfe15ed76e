import type { LabelSelector, ObjectMeta } from './gen/orchard/v1/meta';
import { FieldErrors } from './field-errors';
import { checkDns1123Label, checkLabelValue, checkQualifiedName } from './names';

/** Kubernetes' limit on the total size of an object's annotations. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/**
 * Validates metadata. nameCheck is the rule for this kind's names (DNS-1123 label for
 * pods and namespaces, subdomain for nodes).
 */
export function validateMeta(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
  nameCheck: (s: string) => string[],
  errs: FieldErrors,
): void {
  if (!meta) {
    errs.required('metadata.name', 'name or generateName is required');
    return;
  }
  if (meta.name === '') {
    if (meta.generateName === '') errs.required('metadata.name', 'name or generateName is required');
  } else {
    errs.check('metadata.name', meta.name, nameCheck(meta.name));
  }
  if (namespaced && meta.namespace !== '') {
    errs.check('metadata.namespace', meta.namespace, checkDns1123Label(meta.namespace));
  }
  if (!namespaced && meta.namespace !== '') {
    errs.forbidden('metadata.namespace', 'not allowed on this type');
  }
  validateLabels(meta.labels, 'metadata.labels', errs);
  validateAnnotations(meta.annotations, 'metadata.annotations', errs);
}

/** Label keys are qualified names, values label values. */
export function validateLabels(labels: Record<string, string> | undefined, path: string, errs: FieldErrors): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.check(path, k, checkQualifiedName(k));
    errs.check(`${path}[${k}]`, v, checkLabelValue(v));
  }
}

function validateAnnotations(annotations: Record<string, string> | undefined, path: string, errs: FieldErrors): void {
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    errs.check(path, k.toLowerCase(), checkQualifiedName(k.toLowerCase()));
    size += k.length + v.length;
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.list.push({ field: path, type: 'Too long', detail: `must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
  }
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** A LabelSelector inside a spec (affinity terms, spread constraints). */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string, errs: FieldErrors): void {
  if (!sel) return;
  validateLabels(sel.matchLabels, `${path}.matchLabels`, errs);
  sel.matchExpressions.forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    errs.check(`${p}.key`, e.key, checkQualifiedName(e.key));
    errs.oneOf(`${p}.operator`, e.operator, SELECTOR_OPERATORS, false);
    if ((e.operator === 'In' || e.operator === 'NotIn') && e.values.length === 0) {
      errs.required(`${p}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\'');
    }
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && e.values.length > 0) {
      errs.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
  });
}
