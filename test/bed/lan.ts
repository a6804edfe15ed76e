import { exec, run } from './exec';
import { BRIDGE, BRIDGE_ADDRESS, LAN_PREFIX_LENGTH, type NodeLayout } from './layout';

/**
 * The simulated LAN: one bridge on the host, the iptables rule that lets frames cross it,
 * and host routes to each node's pod subnet (host-gw style, as a Pi LAN would have).
 */

/** Marks every iptables rule the bed adds, so a later run can recognise leftovers. */
const RULE_COMMENT = 'orchard-test-bed';
/**
 * The host's dockerd sets the FORWARD policy to DROP and bridged frames pass through
 * iptables (bridge-nf-call-iptables), so node-to-node traffic needs this rule.
 */
const FORWARD_RULE = ['FORWARD', '-i', BRIDGE, '-o', BRIDGE, '-m', 'comment', '--comment', RULE_COMMENT, '-j', 'ACCEPT'];

async function linkExists(name: string): Promise<boolean> {
  return (await exec('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** Creates the bridge with the host's LAN address and the FORWARD rule. */
export async function createLan(): Promise<void> {
  if (!(await linkExists(BRIDGE))) await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await exec('ip', ['addr', 'add', `${BRIDGE_ADDRESS}/${LAN_PREFIX_LENGTH}`, 'dev', BRIDGE]);
  await run('ip', ['link', 'set', BRIDGE, 'up']);
  if ((await exec('iptables', ['-C', ...FORWARD_RULE])).code !== 0) await run('iptables', ['-I', ...FORWARD_RULE]);
}

/** Removes the bridge and every copy of the bed's FORWARD rule (leftovers included). */
export async function removeLan(): Promise<void> {
  for (let i = 0; i < 10 && (await exec('iptables', ['-C', ...FORWARD_RULE])).code === 0; i++) {
    await run('iptables', ['-D', ...FORWARD_RULE]);
  }
  if (await linkExists(BRIDGE)) await run('ip', ['link', 'del', BRIDGE]);
}

/** Routes the node's pod subnet through its LAN address, so the host reaches pod IPs. */
export async function addPodRoute(node: NodeLayout): Promise<void> {
  await run('ip', ['route', 'replace', node.podSubnet, 'via', node.address, 'dev', BRIDGE]);
}

export async function removePodRoute(node: NodeLayout): Promise<void> {
  await exec('ip', ['route', 'del', node.podSubnet, 'via', node.address]);
}
