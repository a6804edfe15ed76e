import type { JoinUsage } from './token-record';

/**
 * The command `orchard token create --print-join-command` prints: what to run on the new
 * machine, with the kubeadm flag spelling.
 * @param server the master address the new machine can reach, "HOST:PORT"
 * @param caPin from pki caPin(ca.certPem)
 */
export function joinCommand(opts: { server: string; token: string; caPin: string; usage?: JoinUsage }): string {
  const program = opts.usage === 'master' ? 'orchard-master' : 'orchard-agent';
  return `${program} join ${opts.server} --token ${opts.token} --discovery-token-ca-cert-hash ${opts.caPin}`;
}

/** The same join done by the installer, run from an Orchard checkout on the new machine (docs/install.md). */
export function installCommand(opts: { server: string; token: string; caPin: string; usage?: JoinUsage }): string {
  const mode = opts.usage === 'master' ? 'master' : 'agent';
  return `sudo deploy/install.sh ${mode} --join ${opts.server} --token ${opts.token} --discovery-token-ca-cert-hash ${opts.caPin}`;
}
