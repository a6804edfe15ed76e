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

/** A node's platform with its "os/architecture/variant" spelling, to key per-cycle verdicts. */
export interface NodePlatform extends Platform {
  readonly key: string;
}

const nodePlatforms = new WeakMap<Node, NodePlatform | null>();

/**
 * The platform a node runs, from the architecture its agent reports (Docker's naming) and the
 * kernel's machine name for the ARM variant (armv6l is a Pi Zero/1, armv7l a 32-bit Pi OS).
 * Null when the node has not said: such a node is not filtered.
 */
export function nodePlatform(node: Node): NodePlatform | null {
  let p = nodePlatforms.get(node);
  if (p !== undefined) return p;
  const info = node.status?.nodeInfo;
  const arch = info?.architecture || info?.machine || '';
  if (!arch) {
    p = null;
  } else {
    const architecture = ARCH_ALIASES[arch] ?? arch;
    const m = /^armv(\d+)/.exec(info?.machine ?? '');
    const variant = architecture === 'arm' && m ? `v${m[1]}` : '';
    const os = info?.operatingSystem || 'linux';
    p = { os, architecture, variant, key: `${os}/${architecture}/${variant}` };
  }
  nodePlatforms.set(node, p);
  return p;
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
