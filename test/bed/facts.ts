import type {} from 'vitest';
import type { SimNode } from './netns-node';

/** What the global setup built once for the whole e2e run, handed to every test file. */
export interface BedFacts {
  /** The simulated nodes pi1..piN, each with its dockerd running and test images loaded. */
  nodes: SimNode[];
  /** Parent folder for per-file run folders (logs, etcd and agent data). */
  runsDir: string;
  /** The host's address on the LAN bridge: masters listen here, agents dial it. */
  bridgeAddress: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    bed: BedFacts;
  }
}
