import { Command } from 'commander';
import { GetRequest, ListRequest, metaOf, type ApiObject, type Pod } from '@orchard/api';
import type { ClusterApi } from '../client';
import { CommandErrors, globalsOf, namespaceOf, withCluster, type Context } from '../context';
import { describeTime } from '../printers/age';
import { describeNode } from '../printers/describe-node';
import { describePod } from '../printers/describe-pod';
import { DescribeWriter, keyValues } from '../printers/describe-writer';
import { parseResourceArgs } from './resource-args';

/** `orchard describe KIND [NAME...]`: every named object (or every object of the kind). */
export function describeCommand(ctx: Context): Command {
  return new Command('describe')
    .description('Show details of a resource or group of resources')
    .argument('<resource...>', 'KIND [NAME...] or KIND/NAME...')
    .option('-A, --all-namespaces', 'describe objects in all namespaces')
    .option('-l, --selector <selector>', 'label selector')
    .action(async (args: string[], opts: { allNamespaces?: boolean; selector?: string }, cmd: Command) => {
      const globals = globalsOf(cmd);
      const { kind, names } = parseResourceArgs(args, 'describe');
      const ns = namespaceOf(globals);
      await withCluster(ctx, globals, async (c) => {
        const errors: string[] = [];
        let objects: ApiObject[] = [];
        if (names.length === 0) {
          const res = await c.list(
            ListRequest.fromPartial({ kind: kind.plural, namespace: ns, allNamespaces: opts.allNamespaces ?? false, labelSelector: opts.selector ?? '' }),
          );
          objects = res.items;
          if (objects.length === 0) ctx.io.stderr(kind.namespaced && !opts.allNamespaces ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
        } else {
          for (const name of names) {
            try {
              objects.push(await c.get(GetRequest.fromPartial({ kind: kind.plural, namespace: ns, name })));
            } catch (err) {
              errors.push((err as Error).message);
            }
          }
        }
        const texts: string[] = [];
        for (const o of objects) texts.push(await describeOne(c, o, ctx.io.now()));
        ctx.io.stdout(texts.join('\n\n'));
        if (errors.length > 0) throw new CommandErrors(errors);
      });
    });
}

async function describeOne(c: ClusterApi, o: ApiObject, now: number): Promise<string> {
  const r = o.resource!;
  switch (r.$case) {
    case 'pod':
      return describePod(r.pod);
    case 'node': {
      const name = metaOf(o).name;
      const res = await c.list(
        ListRequest.fromPartial({ kind: 'pods', allNamespaces: true, fieldSelector: `spec.nodeName=${name}` }),
      );
      // Filtered here too: the field selector is a hint to the server, the answer must be right.
      const pods = res.items
        .map((p) => (p.resource?.$case === 'pod' ? p.resource.pod : undefined))
        .filter((p): p is Pod => !!p && p.spec?.nodeName === name && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));
      return describeNode(r.node, pods, now);
    }
    case 'namespace': {
      const w = new DescribeWriter();
      const m = r.namespace.metadata;
      w.field(0, 'Name', m?.name ?? '');
      w.multiline(0, 'Labels', keyValues(m?.labels));
      w.multiline(0, 'Annotations', keyValues(m?.annotations, ': '));
      w.field(0, 'Status', r.namespace.status?.phase || 'Active');
      w.field(0, 'CreationTimestamp', describeTime(m?.creationTimestamp));
      return w.toString();
    }
    case 'configMap':
    case 'secret': {
      // Like kubectl: keys and sizes only; a Secret's values are never printed.
      const w = new DescribeWriter();
      const m = metaOf(o);
      w.field(0, 'Name', m.name);
      w.field(0, 'Namespace', m.namespace);
      w.multiline(0, 'Labels', keyValues(m.labels));
      w.multiline(0, 'Annotations', keyValues(m.annotations, ': '));
      if (r.$case === 'secret') w.field(0, 'Type', r.secret.type || 'Opaque');
      const sizes: Array<[string, number]> =
        r.$case === 'secret'
          ? Object.entries(r.secret.data).map(([k, v]) => [k, v.length])
          : [
              ...Object.entries(r.configMap.data).map(([k, v]): [string, number] => [k, Buffer.byteLength(v)]),
              ...Object.entries(r.configMap.binaryData).map(([k, v]): [string, number] => [k, v.length]),
            ];
      w.multiline(0, 'Data', sizes.sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n} bytes`));
      return w.toString();
    }
  }
}
