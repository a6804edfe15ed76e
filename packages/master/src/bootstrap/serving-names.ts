import { isIP } from 'node:net';
import os from 'node:os';

/**
 * The names and addresses a master's serving certificate covers: its advertised and
 * listen addresses, the hostname, every address of the machine, and loopback — each a
 * way a client or agent may dial it.
 */
export function servingNames(opts: { advertiseAddress: string; listen: string; hostname?: string; interfaceAddresses?: readonly string[] }): { names: string[]; ips: string[] } {
  const names = new Set<string>(['localhost']);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  const add = (host: string) => {
    const h = host.replace(/^\[|\]$/g, '');
    if (!h || h === '0.0.0.0' || h === '::') return;
    if (isIP(h)) ips.add(h);
    else if (/^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/.test(h)) names.add(h.toLowerCase());
  };
  add(hostOf(opts.advertiseAddress));
  add(hostOf(opts.listen));
  add(opts.hostname ?? os.hostname());
  for (const a of opts.interfaceAddresses ?? machineAddresses()) add(a);
  return { names: [...names], ips: [...ips] };
}

function hostOf(address: string): string {
  const i = address.lastIndexOf(':');
  return i > 0 && /^\d+$/.test(address.slice(i + 1)) ? address.slice(0, i) : address;
}

function machineAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    // Link-local IPv6 addresses need a zone id, which certificates cannot carry.
    .filter((a) => !(a.family === 'IPv6' && a.address.startsWith('fe80')))
    .map((a) => a.address);
}
