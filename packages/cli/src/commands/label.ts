import { Command } from 'commander';
import { metaOf, unwrap } from '@orchard/api';
import { CommandErrors, globalsOf, namespaceOf, withCluster, type Context } from '../context';
import { parseResourceArgs } from './resource-args';
import { updateObject } from './update-object';

/** Label changes as typed: `k=v` sets, `k-` removes. */
export interface LabelChanges {
  set: Array<[string, string]>;
  remove: string[];
}

/** Splits `label` arguments into the resource part and the changes (`k=v`, `k-`). */
export function splitLabelArgs(args: readonly string[]): { resource: string[]; changes: LabelChanges } {
  const resource: string[] = [];
  const changes: LabelChanges = { set: [], remove: [] };
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq > 0) changes.set.push([a.slice(0, eq), a.slice(eq + 1)]);
    else if (a.endsWith('-') && a.length > 1) changes.remove.push(a.slice(0, -1));
    else if (changes.set.length > 0 || changes.remove.length > 0) throw new Error(`invalid label change "${a}": use key=value to set or key- to remove`);
    else resource.push(a);
  }
  if (changes.set.length === 0 && changes.remove.length === 0) throw new Error('at least one label update is required');
  return { resource, changes };
}

/**
 * Applies label changes with kubectl's rules. @returns kubectl's word for the result
 * ("labeled", "unlabeled", "not labeled") and notes to print.
 * @throws when a key has another value and overwrite is false.
 */
export function applyLabelChanges(labels: Record<string, string>, changes: LabelChanges, overwrite: boolean, notes: string[]): 'labeled' | 'unlabeled' | 'not labeled' {
  let set = false;
  let removed = false;
  for (const [k, v] of changes.set) {
    const old = labels[k];
    if (old === v) continue;
    if (old !== undefined && !overwrite) throw new Error(`'${k}' already has a value (${old}), and --overwrite is false`);
    labels[k] = v;
    set = true;
  }
  for (const k of changes.remove) {
    if (labels[k] === undefined) {
      notes.push(`label "${k}" not found.`);
      continue;
    }
    delete labels[k];
    removed = true;
  }
  return set ? 'labeled' : removed ? 'unlabeled' : 'not labeled';
}

/** `orchard label KIND NAME k=v... k-... [--overwrite]`. */
export function labelCommand(ctx: Context): Command {
  return new Command('label')
    .description('Update the labels of a resource: key=value sets a label, key- removes it')
    .argument('<args...>', 'KIND NAME (or KIND/NAME), then key=value or key- changes')
    .option('--overwrite', 'allow changing the value of an existing label')
    .action(async (args: string[], opts: { overwrite?: boolean }, cmd: Command) => {
      const globals = globalsOf(cmd);
      const { resource, changes } = splitLabelArgs(args);
      const { kind, names } = parseResourceArgs(resource, 'label');
      if (names.length === 0) throw new Error('resource(s) were provided, but no name was specified');
      const ns = kind.namespaced ? namespaceOf(globals) : '';
      const errors: string[] = [];
      await withCluster(ctx, globals, async (c) => {
        for (const name of names) {
          try {
            const notes: string[] = [];
            let word = 'not labeled';
            await updateObject(c, kind, ns, name, (copy) => {
              const meta = metaOf(copy);
              notes.length = 0;
              word = applyLabelChanges(meta.labels, changes, opts.overwrite ?? false, notes);
              unwrap(copy).metadata = meta;
              return word !== 'not labeled';
            });
            for (const n of notes) ctx.io.stdout(`${n}\n`);
            ctx.io.stdout(`${kind.singular}/${name} ${word}\n`);
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
      });
      if (errors.length > 0) throw new CommandErrors(errors);
    });
}
