import './runtime/lean-dockerode';
import Docker from 'dockerode';
import { createLogger, systemClock } from '@orchard/api/agent';
import { Agent } from './agent';
import { CommanderError, FlagError, parseFlags } from './flags';
import { parseJoinArgs, type JoinArgs } from './join-args';
import { JoinError } from './join';
import { joinNode, startRenewal, storedCredentials } from './node-credentials';
import { CredentialsHolder } from './session/credentials';
import { grpcStreamFactory } from './session/node-session';
import { silenceIpServernameWarning } from './tls-servername-warning';
import { gatherHostFacts } from './inventory/inventory';
import { dockerLocalImages, reportedImages } from './inventory/image-platforms';
import { dockerImageEvents } from './inventory/image-watch';
import { execFileRunner, readPiHealth } from './inventory/pi-health';
import { formatPreflightFailures, hostPreflightDeps, runPreflight } from './preflight';
import { DockerRuntime } from './runtime/docker-runtime';
import { hostFs } from './stats';
import { DockerStreamRuntime } from './streams/docker-stream-runtime';
import { cgroupUsageSource } from './usage-source';

async function main(): Promise<void> {
  silenceIpServernameWarning();
  let config;
  let join: JoinArgs | undefined;
  try {
    const argv = process.argv.slice(2);
    // `join MASTER:PORT --token ... --discovery-token-ca-cert-hash ...` joins first and then
    // runs as the agent with the remaining flags, talking to that master.
    if (argv[0] === 'join') join = parseJoinArgs(argv.slice(1));
    // A --server list given with join (or in --config) is kept; otherwise the agent talks to the master it joined.
    const hasServer = (args: readonly string[]) => args.some((a) => a === '--server' || a.startsWith('--server='));
    config = parseFlags(join && !hasServer(join.agentArgs) && !process.env.ORCHARD_SERVER ? [...join.agentArgs, '--server', join.server] : join ? join.agentArgs : argv);
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

  let creds;
  try {
    if (join) {
      const joined = await joinNode(join, config.nodeName, config.dataDir);
      creds = joined.creds;
      logger.info({ node: config.nodeName, master: join.server, masters: joined.masters }, 'joined the cluster');
      if (join.joinOnly) {
        process.stdout.write(`node ${config.nodeName} joined the cluster at ${join.server}; credentials in ${config.dataDir}/pki\n`);
        process.exit(0);
      }
    } else {
      creds = await storedCredentials(config.dataDir, config.nodeName);
    }
  } catch (err) {
    if (!(err instanceof JoinError)) throw err;
    process.stderr.write(`orchard-agent: ${err.message}\n`);
    process.exit(1);
  }
  const holder = new CredentialsHolder(creds);
  const stopRenewal = startRenewal({ dataDir: config.dataDir, holder, servers: () => config.servers, log: logger });

  const runtime = new DockerRuntime(config.dockerSocket);
  const piHealthDeps = { fs: hostFs(config.piHealthRoot), commands: execFileRunner };
  const docker = new Docker({ socketPath: config.dockerSocket });
  const localImages = dockerLocalImages(docker);
  const agent = new Agent({
    config,
    runtime,
    logger,
    clock: systemClock,
    random: Math.random,
    hostFacts: () => gatherHostFacts({ piHealth: () => readPiHealth(piHealthDeps) }),
    readHealth: async () => (await readPiHealth(piHealthDeps)).health,
    images: async () => reportedImages(await localImages()),
    imageEvents: dockerImageEvents(docker),
    usage: cgroupUsageSource(),
    usageIntervalMs: 15_000,
    streams: new DockerStreamRuntime(config.dockerSocket),
    connect: grpcStreamFactory(() => holder.get()),
  });
  await agent.run();
  // The shared clock's timers do not hold the process open (they are unref'd); a daemon
  // must stay up while the master and Docker are both away, until it is told to stop.
  const keepAlive = setInterval(() => undefined, 1 << 30);

  const shutdown = (signal: string) => {
    clearInterval(keepAlive);
    stopRenewal();
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
