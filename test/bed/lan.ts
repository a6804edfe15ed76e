import { exec, run } from './exec';
import { BRIDGE, BRIDGE_ADDRESS, LAN_PREFIX_LENGTH, type NodeLayout } from './layout';

/**
 * The simulated LAN: one bridge on the host, the iptables rules that let frames cross it
 * (and nothing leave it),
 * and host routes to each node's pod subnet (host-gw style, as a Pi LAN would have).
 */

/** Marks every iptables rule the bed adds, so a later run can recognise leftovers. */
const RULE_COMMENT = 'orchard-test-bed';
/**
 * The host's dockerd sets the FORWARD policy to DROP and bridged frames pass through
 * iptables (bridge-nf-call-iptables), so node-to-node traffic needs this rule.
 */
const FORWARD_RULE = ['FORWARD', '-i', BRIDGE, '-o', BRIDGE, '-m', 'comment', '--comment', RULE_COMMENT, '-j', 'ACCEPT'];
/**
 * Nodes must not reach beyond the LAN; rejecting (not silently dropping) what they send
 * elsewhere makes a registry or DNS lookup inside a node fail at once instead of after
 * timeouts (Docker Swarm, for one, tries to pull every task's image).
 */
const REJECT_RULE = ['FORWARD', '-i', BRIDGE, '!', '-o', BRIDGE, '-m', 'comment', '--comment', RULE_COMMENT, '-j', 'REJECT'];
const RULES = [FORWARD_RULE, REJECT_RULE];

async function linkExists(name: string): Promise<boolean> {
  return (await exec('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** Creates the bridge with the host's LAN address and the FORWARD rule. */
export async function createLan(): Promise<void> {
  if (!(await linkExists(BRIDGE))) await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await exec('ip', ['addr', 'add', `${BRIDGE_ADDRESS}/${LAN_PREFIX_LENGTH}`, 'dev', BRIDGE]);
  await run('ip', ['link', 'set', BRIDGE, 'up']);
  for (const rule of RULES) {
    if ((await exec('iptables', ['-C', ...rule])).code !== 0) await run('iptables', ['-I', ...rule]);
  }
}

/** Removes the bridge and every copy of the bed's FORWARD rules (leftovers included). */
export async function removeLan(): Promise<void> {
  for (const rule of RULES) {
    for (let i = 0; i < 10 && (await exec('iptables', ['-C', ...rule])).code === 0; i++) {
      await run('iptables', ['-D', ...rule]);
    }
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
