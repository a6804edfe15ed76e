import { Command, Option } from 'commander';
import {
  ApplyRequest,
  kindOf,
  metaOf,
  unwrap,
  validateObject,
  withDefaults,
  type ApiObject,
} from '@orchard/api';
import { CommandErrors, globalsOf, withCluster, type Context, type GlobalOptions } from '../context';
import { decodeSources, readSources } from '../manifests';

interface ApplyOptions {
  filename: string[];
  recursive?: boolean;
  dryRun?: 'client' | 'server' | 'none';
}

/** `orchard apply -f FILE|DIR|-`: validates every document locally, then applies all atomically. */
export function applyCommand(ctx: Context): Command {
  return new Command('apply')
    .description('Apply a configuration to the cluster from files, directories or stdin (all objects or none)')
    .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [])
    .option('-R, --recursive', 'process directories given with -f recursively')
    .addOption(
      new Option('--dry-run [strategy]', 'client: only validate locally; server: let the master check without writing')
        .choices(['client', 'server', 'none'])
        .preset('client'),
    )
    .action(async (opts: ApplyOptions, cmd: Command) => {
      await runApply(ctx, globalsOf(cmd), opts);
    });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Prepares objects for the server: the namespace from -n (or a clear error when the
 * manifest names another), defaults, validation. Returns the problems of all objects.
 */
export function prepareObjects(objects: readonly ApiObject[], namespaceFlag: string | undefined): { ready: ApiObject[]; problems: string[] } {
  const ready: ApiObject[] = [];
  const problems: string[] = [];
  for (const o of objects) {
    const kind = kindOf(o);
    const written = metaOf(o).namespace;
    if (kind.namespaced && namespaceFlag && written && written !== namespaceFlag) {
      problems.push(
        `the namespace from the provided object "${written}" does not match the namespace "${namespaceFlag}". ` +
          `You must pass '--namespace=${written}' to perform this operation.`,
      );
      continue;
    }
    const obj = withDefaults(o);
    if (kind.namespaced && namespaceFlag) unwrap(obj).metadata!.namespace = namespaceFlag;
    try {
      validateObject(obj);
      ready.push(obj);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return { ready, problems };
}

async function runApply(ctx: Context, globals: GlobalOptions, opts: ApplyOptions): Promise<void> {
  if (opts.filename.length === 0) throw new Error('must specify -f FILENAME (a file, a directory, or - for stdin)');
  const sources = await readSources(ctx.io, opts.filename, opts.recursive ?? false);
  const { objects, problems } = decodeSources(sources);
  const prepared = prepareObjects(objects, globals.namespace);
  const all = [...problems, ...prepared.problems];
  // Nothing is sent unless every document is good: a half-applied set is worse than none.
  if (all.length > 0) throw new CommandErrors(all);
  if (prepared.ready.length === 0) throw new Error('no objects passed to apply');
  const dryRun = opts.dryRun ?? 'none';
  if (dryRun === 'client') {
    for (const o of prepared.ready) ctx.io.stdout(`${kindOf(o).singular}/${metaOf(o).name} created (dry run)\n`);
    return;
  }
  const res = await withCluster(ctx, globals, (c) =>
    c.apply(ApplyRequest.fromPartial({ objects: prepared.ready, dryRun: dryRun === 'server' })),
  );
  const suffix = dryRun === 'server' ? ' (server dry run)' : '';
  for (const r of res.results) {
    if (!r.object) continue;
    ctx.io.stdout(`${kindOf(r.object).singular}/${metaOf(r.object).name} ${r.action}${suffix}\n`);
  }
}
