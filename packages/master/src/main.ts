import { createLogger } from '@orchard/api';
import { parseMasterFlags } from './flags';
import { Master } from './master';

// Wiring only: flags, logger, the master, and the signals that stop it.
const flags = parseMasterFlags(process.argv);
const log = createLogger('orchard-master', flags.logLevel);
const master = new Master(flags, { log });

let signals = 0;
const shutdown = (signal: string) => {
  // A second signal means "now": the embedded etcd is killed by the exit handler.
  if (++signals > 1) process.exit(1);
  log.info({ signal }, 'shutting down');
  master.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
// SIGHUP too: its default action would end the process without stopping the embedded etcd.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));

master.run().catch((err: unknown) => {
  log.fatal({ err }, 'orchard-master failed to start');
  void master.stop().finally(() => process.exit(1));
});
