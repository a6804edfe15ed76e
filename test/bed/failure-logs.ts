import { afterEach } from 'vitest';
import type { TestCluster } from './cluster';

/**
 * Registers an afterEach that prints the tail of every process log of the cluster when a
 * test first fails: the master's and agents' view is what explains an end-to-end failure.
 */
export function dumpLogsOnFailure(cluster: () => TestCluster | undefined): void {
  // Once per file: later failures usually follow from the first, and the logs are the same.
  let dumped = false;
  afterEach((ctx) => {
    const c = cluster();
    if (c && !dumped && ctx.task.result?.state === 'fail') {
      dumped = true;
      process.stderr.write(`\n===== logs after failed test "${ctx.task.name}" (run folder ${c.runDir}) =====\n${c.dumpLogs()}\n`);
    }
  });
}
