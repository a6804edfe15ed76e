import { afterAll, beforeAll } from 'vitest';
import { startCluster, type ClusterOptions, type TestCluster } from './cluster';
import type { BedFacts } from './facts';
import { dumpLogsOnFailure } from './failure-logs';

/** What a test file adds around the cluster's start and teardown. */
export interface UseClusterHooks {
  /** How long the nodes may take to be Ready (default 30 s). */
  readyTimeoutMs?: number;
  /** Runs once the nodes are Ready (or the masters answer, without agents); a throw fails the file. */
  setUp?: (cluster: TestCluster) => Promise<void>;
  /**
   * Runs before the cluster's teardown, also when a test or setUp failed: undo what the
   * file changed on the shared nodes, stop processes of its own (by pid).
   */
  tearDown?: (cluster: TestCluster | undefined) => Promise<void>;
  /** Runs after the cluster's teardown, whatever happened: remove what the pods used. */
  cleanUp?: () => Promise<void> | void;
}

/**
 * Starts one cluster for the whole test file (beforeAll) and tears it down afterwards
 * (afterAll, whatever happened), printing the processes' logs at the first failed test.
 * Returns the accessor the tests use; it throws if the start failed.
 */
export function useCluster(bed: BedFacts, options: ClusterOptions, hooks: UseClusterHooks = {}): () => TestCluster {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(bed, options);
    if (options.agents !== false) await cluster.waitNodesReady(undefined, hooks.readyTimeoutMs);
    await hooks.setUp?.(cluster);
  });
  afterAll(async () => {
    try {
      await hooks.tearDown?.(cluster);
    } finally {
      try {
        await cluster?.teardown();
      } finally {
        await hooks.cleanUp?.();
      }
    }
  });
  dumpLogsOnFailure(() => cluster);
  return () => {
    if (!cluster) throw new Error(`cluster ${options.name} not started (see the error of beforeAll)`);
    return cluster;
  };
}
