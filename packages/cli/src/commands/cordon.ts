import { Command } from 'commander';
import { kindByCase } from '@orchard/api';
import type { ClusterApi } from '../client';
import { globalsOf, withCluster, type Context } from '../context';
import { updateObject } from './update-object';

/**
 * Marks a node (un)schedulable. @returns kubectl's words: "cordoned", "already cordoned",
 * "uncordoned", "already uncordoned".
 */
export async function setUnschedulable(c: ClusterApi, nodeName: string, unschedulable: boolean): Promise<string> {
  const { changed } = await updateObject(c, kindByCase('node'), '', nodeName, (copy) => {
    const n = copy.resource?.$case === 'node' ? copy.resource.node : undefined;
    if (!n) throw new Error(`nodes "${nodeName}" is not a node`);
    if ((n.spec?.unschedulable ?? false) === unschedulable) return false;
    n.spec = { podCidr: '', podCidrs: [], taints: [], ...n.spec, unschedulable };
    return true;
  });
  const verb = unschedulable ? 'cordoned' : 'uncordoned';
  return changed ? verb : `already ${verb}`;
}

function nodeSwitch(ctx: Context, name: 'cordon' | 'uncordon', description: string): Command {
  return new Command(name)
    .description(description)
    .argument('<node...>', 'node names')
    .action(async (nodes: string[], _opts: unknown, cmd: Command) => {
      await withCluster(ctx, globalsOf(cmd), async (c) => {
        for (const node of nodes) ctx.io.stdout(`node/${node} ${await setUnschedulable(c, node, name === 'cordon')}\n`);
      });
    });
}

/** `orchard cordon NODE...`: no new pods are placed on the node; its pods stay. */
export function cordonCommand(ctx: Context): Command {
  return nodeSwitch(ctx, 'cordon', 'Mark nodes as unschedulable: new pods are not placed there, running pods stay');
}

/** `orchard uncordon NODE...`: the node takes new pods again. */
export function uncordonCommand(ctx: Context): Command {
  return nodeSwitch(ctx, 'uncordon', 'Mark nodes as schedulable again');
}
