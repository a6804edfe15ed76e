import { afterEach } from 'vitest';
import type { TestCluster } from './cluster';

/**
 * Registers an afterEach that prints the tail of every process log of the cluster when a
 * test failed: the master's and agents' view is what explains an end-to-end failure.
 */
export function dumpLogsOnFailure(cluster: () => TestCluster | undefined): void {
  afterEach((ctx) => {
    const c = cluster();
    if (c && ctx.task.result?.state === 'fail') {
      process.stderr.write(`\n===== logs after failed test "${ctx.task.name}" (run folder ${c.runDir}) =====\n${c.dumpLogs()}\n`);
    }
  });
}
