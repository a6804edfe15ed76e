import { createLogger } from '@orchard/api';
import { joinAsMaster, type MasterJoinArgs } from './bootstrap/master-join';
import { parseMasterFlags, splitJoinArgs } from './flags';
import { Master } from './master';
import { silenceIpServernameWarning } from './tls-servername-warning';

silenceIpServernameWarning();

// Wiring only: flags (and a join first, for `orchard-master join ...`), logger, the
// master, and the signals that stop it.
let split: ReturnType<typeof splitJoinArgs>;
try {
  split = splitJoinArgs(process.argv);
} catch (err) {
  process.stderr.write(`orchard-master: ${(err as Error).message}\n`);
  process.exit(2);
}
const { join, argv } = split;
let flags = parseMasterFlags(argv);
const log = createLogger('orchard-master', flags.logLevel);
let master: Master | undefined;

let signals = 0;
const shutdown = (signal: string) => {
  // A second signal means "now": the embedded etcd is killed by the exit handler.
  if (++signals > 1) process.exit(1);
  log.info({ signal }, 'shutting down');
  if (!master) process.exit(1);
  master.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
// SIGHUP too: its default action would end the process without stopping the embedded etcd.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));

async function start(joining: MasterJoinArgs | undefined): Promise<void> {
  if (joining) {
    const joined = await joinAsMaster(joining, flags.name, flags.dataDir, flags.serverSecretFile);
    log.info({ master: joining.server, etcd: joined.etcd }, 'joined the cluster as a master');
    if (joining.joinOnly) {
      process.stdout.write(`master ${flags.name} joined the cluster at ${joining.server}; the server secret is stored\n`);
      process.exit(0);
    }
    // The cluster's etcd, unless --etcd named one explicitly.
    if (flags.etcd.length === 0) flags = { ...flags, etcd: joined.etcd };
  }
  master = new Master(flags, { log });
  await master.run();
}

start(join).catch((err: unknown) => {
  log.fatal({ err }, 'orchard-master failed to start');
  process.stderr.write(`orchard-master: ${(err as Error).message}\n`);
  void (master?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
});
