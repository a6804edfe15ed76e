import { Command } from 'commander';
import { Taint, kindByCase, resolveKind } from '@orchard/api';
import { CommandErrors, globalsOf, withCluster, type Context } from '../context';
import { updateObject } from './update-object';

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** One taint change as typed: `k=v:Effect` adds, `k:Effect-` or `k-` removes. */
export interface TaintChange {
  readonly key: string;
  readonly value: string;
  /** Empty only for a removal of every effect of the key. */
  readonly effect: string;
  readonly remove: boolean;
}

/** Parses one taint argument as kubectl does. @throws with kubectl's message. */
export function parseTaintArg(arg: string): TaintChange {
  const remove = arg.endsWith('-');
  const spec = remove ? arg.slice(0, -1) : arg;
  const colon = spec.lastIndexOf(':');
  const kv = colon >= 0 ? spec.slice(0, colon) : spec;
  const effect = colon >= 0 ? spec.slice(colon + 1) : '';
  const eq = kv.indexOf('=');
  const key = eq >= 0 ? kv.slice(0, eq) : kv;
  const value = eq >= 0 ? kv.slice(eq + 1) : '';
  if (!key || (!remove && colon < 0)) throw new Error(`invalid taint spec: ${arg}`);
  if (effect && !EFFECTS.includes(effect)) throw new Error(`invalid taint effect: ${effect}, unsupported taint effect`);
  return { key, value, effect, remove };
}

/**
 * Applies taint changes to a node's taints with kubectl's rules.
 * @returns the new list and kubectl's word: "tainted", "untainted" or "modified".
 */
export function applyTaintChanges(nodeName: string, taints: readonly Taint[], changes: readonly TaintChange[], overwrite: boolean, nowIso: string): { taints: Taint[]; word: string } {
  let next = [...taints];
  let added = false;
  let removed = false;
  let modified = false;
  for (const ch of changes) {
    if (ch.remove) {
      const keep = next.filter((t) => !(t.key === ch.key && (!ch.effect || t.effect === ch.effect)));
      if (keep.length === next.length) throw new Error(`taint "${ch.key}${ch.effect ? `:${ch.effect}` : ''}" not found`);
      next = keep;
      removed = true;
      continue;
    }
    const i = next.findIndex((t) => t.key === ch.key && t.effect === ch.effect);
    if (i >= 0) {
      if (!overwrite) throw new Error(`node ${nodeName} already has ${ch.key} taint(s) with same effect(s) and --overwrite is false`);
      next[i] = Taint.fromPartial({ key: ch.key, value: ch.value, effect: ch.effect, timeAdded: ch.effect === 'NoExecute' ? nowIso : '' });
      modified = true;
      continue;
    }
    next.push(Taint.fromPartial({ key: ch.key, value: ch.value, effect: ch.effect, timeAdded: ch.effect === 'NoExecute' ? nowIso : '' }));
    added = true;
  }
  return { taints: next, word: modified || (added && removed) ? 'modified' : added ? 'tainted' : 'untainted' };
}

/** `orchard taint nodes NODE k=v:Effect... | k:Effect- | k- [--overwrite]`. */
export function taintCommand(ctx: Context): Command {
  return new Command('taint')
    .description('Update the taints of nodes: key=value:Effect adds, key:Effect- or key- removes (Effect: NoSchedule, PreferNoSchedule, NoExecute)')
    .argument('<args...>', 'nodes NODE (or node/NODE), then taint changes')
    .option('--overwrite', 'replace a taint of the same key and effect')
    .action(async (args: string[], opts: { overwrite?: boolean }, cmd: Command) => {
      let rest = [...args];
      let names: string[] = [];
      if (rest[0]?.includes('/')) {
        const [k, n] = [rest[0].slice(0, rest[0].indexOf('/')), rest[0].slice(rest[0].indexOf('/') + 1)];
        if (resolveKind(k) !== kindByCase('node')) throw new Error('taint applies to nodes only');
        names = [n];
        rest = rest.slice(1);
      } else {
        if (!rest[0] || resolveKind(rest[0]) !== kindByCase('node')) throw new Error('taint applies to nodes only: orchard taint nodes NODE key=value:Effect');
        rest = rest.slice(1);
        while (rest.length > 0 && !rest[0]!.includes(':') && !rest[0]!.includes('=') && !rest[0]!.endsWith('-')) names.push(rest.shift()!);
      }
      if (names.length === 0) throw new Error('a node name is required');
      if (rest.length === 0) throw new Error('at least one taint update is required');
      const changes = rest.map(parseTaintArg);
      const errors: string[] = [];
      await withCluster(ctx, globalsOf(cmd), async (c) => {
        for (const name of names) {
          try {
            let word = '';
            await updateObject(c, kindByCase('node'), '', name, (copy) => {
              const n = copy.resource?.$case === 'node' ? copy.resource.node : undefined;
              if (!n) throw new Error(`nodes "${name}" is not a node`);
              const r = applyTaintChanges(name, n.spec?.taints ?? [], changes, opts.overwrite ?? false, new Date(ctx.io.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
              word = r.word;
              n.spec = { podCidr: '', podCidrs: [], unschedulable: false, ...n.spec, taints: r.taints };
              return true;
            });
            ctx.io.stdout(`node/${name} ${word}\n`);
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
      });
      if (errors.length > 0) throw new CommandErrors(errors);
    });
}
