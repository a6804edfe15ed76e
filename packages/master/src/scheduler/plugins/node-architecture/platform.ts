import type { Node } from '@orchard/api';

/** An OCI platform: "linux/arm/v7" is { os: linux, architecture: arm, variant: v7 }. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant: string;
}

// Kernel and distribution spellings mapped to the OCI/Docker names images use.
const ARCH_ALIASES: Readonly<Record<string, string>> = {
  aarch64: 'arm64',
  x86_64: 'amd64',
  armhf: 'arm',
  armel: 'arm',
  armv7l: 'arm',
  armv6l: 'arm',
  i386: '386',
  i686: '386',
};

/** Parses "os/architecture[/variant]"; missing parts are empty. */
export function parsePlatform(s: string): Platform {
  const [os = '', architecture = '', variant = ''] = s.split('/');
  return { os, architecture: ARCH_ALIASES[architecture] ?? architecture, variant };
}

/** A node's platform with a small number naming it, to index per-cycle verdicts. */
export interface NodePlatform extends Platform {
  readonly id: number;
}

// "os/architecture/variant" -> id. A cluster has a handful of platforms, so this stays tiny.
const platformIds = new Map<string, number>();

/**
 * The platform a node runs, from the architecture its agent reports (Docker's naming) and the
 * kernel's machine name for the ARM variant (armv6l is a Pi Zero/1, armv7l a 32-bit Pi OS).
 * Null when the node has not said: such a node is not filtered.
 */
export function nodePlatform(node: Node): NodePlatform | null {
  const info = node.status?.nodeInfo;
  const arch = info?.architecture || info?.machine || '';
  if (!arch) return null;
  const architecture = ARCH_ALIASES[arch] ?? arch;
  const m = /^armv(\d+)/.exec(info?.machine ?? '');
  const variant = architecture === 'arm' && m ? `v${m[1]}` : '';
  const os = info?.operatingSystem || 'linux';
  const key = `${os}/${architecture}/${variant}`;
  let id = platformIds.get(key);
  if (id === undefined) platformIds.set(key, (id = platformIds.size));
  return { os, architecture, variant, id };
}

function armVersion(variant: string): number {
  const m = /^v(\d+)$/.exec(variant);
  return m ? Number(m[1]) : 0;
}

/**
 * True when a node of platform `node` runs an image built for `image`. The OS and architecture
 * must be equal; an ARM node runs its own variant and older ones (a v7 board runs v6 images,
 * not the reverse). A variant that either side leaves unsaid is taken as compatible.
 */
export function runsOn(image: Platform, node: Platform): boolean {
  if (image.os && node.os && image.os !== node.os) return false;
  if (image.architecture !== node.architecture) return false;
  if (node.architecture !== 'arm' || !image.variant || !node.variant) return true;
  return armVersion(image.variant) <= armVersion(node.variant);
}
