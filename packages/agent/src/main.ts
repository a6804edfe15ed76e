import { createLogger, systemClock } from '@orchard/api';
import { Agent } from './agent';
import { CommanderError, FlagError, parseFlags } from './flags';
import { gatherHostFacts } from './inventory/inventory';
import { execFileRunner, readPiHealth } from './inventory/pi-health';
import { formatPreflightFailures, hostPreflightDeps, runPreflight } from './preflight';
import { DockerRuntime } from './runtime/docker-runtime';
import { hostFs } from './stats';
import { DockerStreamRuntime } from './streams/docker-stream-runtime';
import { cgroupUsageSource } from './usage-source';

async function main(): Promise<void> {
  let config;
  try {
    config = parseFlags(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof FlagError) {
      process.stderr.write(`orchard-agent: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger('orchard-agent', config.logLevel);
  // Every subsystem handles its own errors; one that slips through is a bug to log, not
  // a reason to stop supervising the node's pods.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));

  const preflight = await runPreflight({ dockerSocket: config.dockerSocket }, hostPreflightDeps());
  if (!preflight.ok) {
    process.stderr.write(`${formatPreflightFailures(preflight)}\n`);
    process.exit(1);
  }

  const runtime = new DockerRuntime(config.dockerSocket);
  const piHealthDeps = { fs: hostFs(), commands: execFileRunner };
  const agent = new Agent({
    config,
    runtime,
    logger,
    clock: systemClock,
    random: Math.random,
    hostFacts: () => gatherHostFacts({ piHealth: () => readPiHealth(piHealthDeps) }),
    readHealth: async () => (await readPiHealth(piHealthDeps)).health,
    usage: cgroupUsageSource(),
    usageIntervalMs: 15_000,
    streams: new DockerStreamRuntime(config.dockerSocket),
  });
  await agent.run();
  // The shared clock's timers do not hold the process open (they are unref'd); a daemon
  // must stay up while the master and Docker are both away, until it is told to stop.
  const keepAlive = setInterval(() => undefined, 1 << 30);

  const shutdown = (signal: string) => {
    clearInterval(keepAlive);
    logger.info({ signal }, 'stopping; pods keep running');
    void agent.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`orchard-agent: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
