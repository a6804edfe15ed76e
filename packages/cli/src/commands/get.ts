import { Command, Option } from 'commander';
import {
  GetRequest,
  ListRequest,
  MasterInfo,
  UnavailableError,
  WatchRequest,
  metaOf,
  type WatchEvent,
  toYaml,
  type ApiObject,
  type KindInfo,
} from '@orchard/api';
import type { ClusterApi } from '../client';
import { CommandErrors, globalsOf, namespaceOf, withCluster, type Context, type GlobalOptions } from '../context';
import { OUTPUT_FORMATS, printJson, printNames, printYaml, type OutputFormat } from '../printers/formats';
import { printMasters, printTable, tableHeader, tableRow } from '../printers/table';
import { StreamingTable } from '../printers/tabwriter';
import { parseResourceArgs } from './resource-args';

export interface GetOptions {
  output?: OutputFormat;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  watch?: boolean;
  noHeaders?: boolean;
}

/** `orchard get KIND [NAME...]` and `orchard get masters`. */
export function getCommand(ctx: Context): Command {
  return new Command('get')
    .description('Display one or many resources (pods, nodes, namespaces, masters)')
    .argument('[resource...]', 'KIND [NAME...] or KIND/NAME...')
    .addOption(new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS]))
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('--field-selector <selector>', 'field selector, e.g. spec.nodeName=pi1')
    .option('-w, --watch', 'after listing, watch for changes')
    .option('--no-headers', 'do not print table headers')
    .action(async (args: string[], opts: GetOptions & { headers?: boolean }, cmd: Command) => {
      await runGet(ctx, globalsOf(cmd), args, { ...opts, noHeaders: opts.headers === false });
    });
}

async function runGet(ctx: Context, globals: GlobalOptions, args: string[], opts: GetOptions): Promise<void> {
  if (args.length > 0 && ['masters', 'master'].includes(args[0]!.toLowerCase())) {
    await withCluster(ctx, globals, async (c) => {
      const { masters } = await c.listMasters();
      const out = opts.output;
      if (out === 'json') ctx.io.stdout(JSON.stringify(masters.map((m) => MasterInfo.toJSON(m)), null, 4) + '\n');
      else if (out === 'yaml') ctx.io.stdout(toYaml(masters.map((m) => MasterInfo.toJSON(m))));
      else if (out === 'name') ctx.io.stdout(masters.map((m) => `master/${m.name}\n`).join(''));
      else ctx.io.stdout(printMasters(masters, ctx.io.now()));
    });
    return;
  }
  const { kind, names } = parseResourceArgs(args, 'get');
  if (names.length > 0 && opts.allNamespaces && kind.namespaced) {
    throw new Error('a resource cannot be retrieved by name across all namespaces');
  }
  const ns = namespaceOf(globals);
  await withCluster(ctx, globals, async (c) => {
    if (opts.watch) return watch(ctx, c, kind, names, ns, opts);
    const errors: string[] = [];
    let objects: ApiObject[];
    if (names.length > 0) {
      objects = [];
      for (const name of names) {
        try {
          objects.push(await c.get(GetRequest.fromPartial({ kind: kind.plural, namespace: ns, name })));
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    } else {
      const res = await c.list(
        ListRequest.fromPartial({
          kind: kind.plural,
          namespace: ns,
          allNamespaces: opts.allNamespaces ?? false,
          labelSelector: opts.selector ?? '',
          fieldSelector: opts.fieldSelector ?? '',
        }),
      );
      objects = res.items;
    }
    // Named objects that were all missing print nothing but their errors, in every format.
    if (names.length === 0 || objects.length > 0) print(ctx, kind, objects, names.length !== 1, opts, ns);
    if (errors.length > 0) throw new CommandErrors(errors);
  });
}

function print(ctx: Context, kind: KindInfo, objects: ApiObject[], asList: boolean, opts: GetOptions, ns: string): void {
  const out = opts.output ?? '';
  if (out === 'json') return ctx.io.stdout(printJson(objects, asList));
  if (out === 'yaml') return ctx.io.stdout(printYaml(objects, asList));
  if (objects.length === 0) {
    if (asList) ctx.io.stderr(noResources(kind, ns, opts.allNamespaces ?? false));
    return;
  }
  if (out === 'name') return ctx.io.stdout(printNames(objects));
  const tableOpts = { wide: out === 'wide', allNamespaces: opts.allNamespaces ?? false, now: ctx.io.now() };
  ctx.io.stdout(printTable(kind, objects, tableOpts, !opts.noHeaders));
}

/** kubectl's message for an empty list, on stderr so that scripts read an empty stdout. */
export function noResources(kind: KindInfo, ns: string, all: boolean): string {
  return kind.namespaced && !all ? `No resources found in ${ns} namespace.\n` : 'No resources found\n';
}

const WATCH_ATTEMPTS = 5;
const WATCH_RETRY_MS = 500;

/** -w: the current state first, then one row (or document) per change, until Ctrl-C. */
async function watch(ctx: Context, c: ClusterApi, kind: KindInfo, names: string[], ns: string, opts: GetOptions): Promise<void> {
  const out = opts.output ?? '';
  const all = opts.allNamespaces ?? false;
  const tableOpts = { wide: out === 'wide', allNamespaces: all, now: 0 };
  let headerDone = opts.noHeaders ?? false;
  let first = true;
  const table = new StreamingTable();
  const abort = new AbortController();
  const off = ctx.io.onInterrupt(() => abort.abort());
  // The newest resourceVersion seen: when the master serving the watch goes away, the
  // watch resumes after it on another master instead of ending.
  let resumeFrom = '';
  const onEvent = (ev: WatchEvent) => {
    const o = ev.object;
    if (!o) return;
    const rv = metaOf(o).resourceVersion;
    if (/^\d+$/.test(rv) && (resumeFrom === '' || BigInt(rv) > BigInt(resumeFrom))) resumeFrom = rv;
    if (names.length > 0 && !names.includes(metaOf(o).name)) return;
    if (out === 'json') ctx.io.stdout(printJson([o], false));
    else if (out === 'yaml') ctx.io.stdout(`${first ? '' : '---\n'}${printYaml([o], false)}`);
    else if (out === 'name') ctx.io.stdout(printNames([o]));
    else {
      const t = { ...tableOpts, now: ctx.io.now() };
      ctx.io.stdout(table.format(headerDone ? [tableRow(o, t)] : [tableHeader(kind, t), tableRow(o, t)]));
      headerDone = true;
    }
    first = false;
  };
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await c.watch(
          WatchRequest.fromPartial({
            kind: kind.plural,
            namespace: ns,
            allNamespaces: all,
            labelSelector: opts.selector ?? '',
            resourceVersion: resumeFrom,
          }),
          onEvent,
          abort.signal,
        );
        return;
      } catch (err) {
        // Retrying helps only when a master went away; anything else is the answer.
        if (!(err instanceof UnavailableError) || attempt >= WATCH_ATTEMPTS || abort.signal.aborted) throw err;
        await ctx.io.sleep(WATCH_RETRY_MS);
      }
    }
  } finally {
    off();
  }
}
