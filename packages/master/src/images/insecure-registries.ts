/**
 * Which registries are spoken to over plain HTTP, as Docker's `insecure-registries`
 * setting decides it: an entry is a registry ("host:port", "registry.lan") matched exactly,
 * or an IPv4 CIDR ("192.168.1.0/24") matching any registry at an address in it, on any
 * port. Loopback registries are always plain HTTP, as in Docker.
 */
export class InsecureRegistries {
  private readonly exact = new Set<string>();
  private readonly ranges: Array<{ base: number; mask: number }> = [];

  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(e);
      const base = cidr ? ipv4(cidr[1]!) : undefined;
      if (cidr && base !== undefined && Number(cidr[2]) <= 32) {
        const bits = Number(cidr[2]);
        const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
        this.ranges.push({ base: (base & mask) >>> 0, mask });
      } else {
        this.exact.add(e.toLowerCase());
      }
    }
  }

  /** True when `registry` ("host[:port]") is to be asked over plain HTTP. */
  has(registry: string): boolean {
    const r = registry.toLowerCase();
    if (this.exact.has(r)) return true;
    const host = r.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return true;
    const ip = ipv4(host);
    return ip !== undefined && this.ranges.some((n) => ((ip & n.mask) >>> 0) === n.base);
  }
}

/** A dotted IPv4 address as an unsigned number; undefined for anything else. */
function ipv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}
