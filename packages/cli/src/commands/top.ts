import { Command } from 'commander';
import { TopRequest } from '@orchard/api';
import { globalsOf, namespaceOf, withCluster, type Context } from '../context';
import { printTopNodes, printTopPods } from '../printers/top';

/** What kubectl says when the cluster has no usage to show. */
export const METRICS_NOT_AVAILABLE = 'metrics not available yet';

interface TopNodesOptions {
  selector?: string;
  headers?: boolean;
}

interface TopPodsOptions extends TopNodesOptions {
  allNamespaces?: boolean;
  containers?: boolean;
}

/** `orchard top nodes|pods`: CPU and memory usage from the agents' cgroup readings. */
export function topCommand(ctx: Context): Command {
  const top = new Command('top').description('Display resource (CPU/memory) usage of nodes or pods');
  top.addCommand(
    new Command('nodes')
      .alias('node')
      .alias('no')
      .description('Display resource usage of nodes')
      .argument('[name]', 'one node')
      .option('-l, --selector <selector>', 'label selector, e.g. kubernetes.io/arch=arm64')
      .option('--no-headers', 'do not print table headers')
      .action(async (name: string | undefined, opts: TopNodesOptions, cmd: Command) => {
        const req = TopRequest.fromPartial({ kind: 'nodes', name: name ?? '', labelSelector: opts.selector ?? '' });
        const { rows } = await withCluster(ctx, globalsOf(cmd), (c) => c.top(req));
        if (!rows.some((r) => r.timestamp)) throw new Error(METRICS_NOT_AVAILABLE);
        ctx.io.stdout(printTopNodes(rows, opts.headers !== false));
      }),
  );
  top.addCommand(
    new Command('pods')
      .alias('pod')
      .alias('po')
      .description('Display resource usage of pods')
      .argument('[name]', 'one pod')
      .option('-A, --all-namespaces', 'pods of every namespace')
      .option('-l, --selector <selector>', 'label selector, e.g. app=web')
      .option('--containers', 'one line per container')
      .option('--no-headers', 'do not print table headers')
      .action(async (name: string | undefined, opts: TopPodsOptions, cmd: Command) => {
        const globals = globalsOf(cmd);
        const req = TopRequest.fromPartial({
          kind: 'pods',
          name: name ?? '',
          namespace: namespaceOf(globals),
          allNamespaces: !!opts.allNamespaces,
          labelSelector: opts.selector ?? '',
        });
        const { rows } = await withCluster(ctx, globals, (c) => c.top(req));
        if (rows.length === 0) throw new Error(METRICS_NOT_AVAILABLE);
        ctx.io.stdout(printTopPods(rows, { allNamespaces: opts.allNamespaces, containers: opts.containers, header: opts.headers !== false }));
      }),
  );
  for (const sub of top.commands) {
    // Added before the program configures `top`, so they take its settings here.
    sub.exitOverride();
    sub.configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) });
  }
  return top;
}
