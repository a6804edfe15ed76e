import path from 'node:path';

/**
 * Every name and address the test bed creates on the host. Fixed names let a new run find
 * and remove what a crashed run left behind, and nothing else.
 */

/** The repository root (test/bed/ is two levels down). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Everything on disk lives under this folder: node data, per-run logs, etcd data. */
export const BED_ROOT = '/tmp/orchard-bed';
/** Simulated nodes' dockerd roots and sockets (short: unix socket paths are limited to 107 bytes). */
export const NODES_DIR = path.join(BED_ROOT, 'nodes');
/** Per test file (or benchmark) folders: etcd data, process logs, agent data. */
export const RUNS_DIR = path.join(BED_ROOT, 'runs');
/** Cache of the saved test images (one tarball loaded into every node). */
export const IMAGE_CACHE_DIR = path.join(BED_ROOT, 'images');
/** Holds the pid of the run that owns the bed, so two runs never share (and wreck) it. */
export const LOCK_FILE = path.join(BED_ROOT, 'lock');
/** Facts about the shared bed for processes outside vitest (benchmarks, debugging). */
export const STATE_FILE = path.join(BED_ROOT, 'state.json');

/** The LAN bridge every simulated node's veth is plugged into. */
export const BRIDGE = 'br-orch';
/** The host's own address on the LAN: agents reach masters here. */
export const BRIDGE_ADDRESS = '192.168.77.1';
export const LAN_PREFIX_LENGTH = 24;

/** Simulated node N (1-based): namespace, links and addresses. */
export interface NodeLayout {
  index: number;
  /** Node name and hostname: pi1, pi2, ... */
  name: string;
  /** Network namespace name (/var/run/netns/NAME). */
  netns: string;
  /** Host side of the veth pair, plugged into the bridge; the other end is eth0 in the netns. */
  hostVeth: string;
  /** The node's LAN address. */
  address: string;
  /** The node's pod subnet (its dockerd bridge). */
  podSubnet: string;
  /** The dockerd bridge address inside the node (--bip). */
  bip: string;
  /** Folder holding the node's dockerd roots, socket, pidfile and log. */
  dir: string;
  socket: string;
}

/** Port range reserved for the bed's etcd members and masters. */
export const PORT_RANGE = { first: 25000, last: 25999 } as const;

export function nodeLayout(index: number): NodeLayout {
  if (!Number.isInteger(index) || index < 1 || index > 200) throw new Error(`node index ${index} out of range 1..200`);
  const name = `pi${index}`;
  const dir = path.join(NODES_DIR, name);
  return {
    index,
    name,
    netns: `orch-${name}`,
    hostVeth: `orch-${name}`,
    address: `192.168.77.${10 + index}`,
    podSubnet: `10.42.${index}.0/24`,
    bip: `10.42.${index}.1/24`,
    dir,
    socket: path.join(dir, 'docker.sock'),
  };
}
