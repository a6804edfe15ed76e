import { encodeList, encodeObject, kindOf, metaOf, toYaml, type ApiObject } from '@orchard/api';

/** -o json: one object as itself, several (or a list request) as `kind: List`, 4-space indent like kubectl. */
export function printJson(objs: readonly ApiObject[], asList: boolean): string {
  const value = asList ? encodeList(objs) : encodeObject(objs[0]!);
  return JSON.stringify(value, null, 4) + '\n';
}

/** -o yaml: as printJson, in YAML. */
export function printYaml(objs: readonly ApiObject[], asList: boolean): string {
  return toYaml(asList ? encodeList(objs) : encodeObject(objs[0]!));
}

/** -o name: `pod/web`, one a line. */
export function printNames(objs: readonly ApiObject[]): string {
  return objs.map((o) => `${kindOf(o).singular}/${metaOf(o).name}\n`).join('');
}

export const OUTPUT_FORMATS = ['wide', 'yaml', 'json', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number] | '';
