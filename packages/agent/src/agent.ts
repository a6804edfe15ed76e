import path from 'node:path';
import type { Clock, DesiredPods, Hello, Logger, NodeHealth, NodeStatus, Pod, UsageReport } from '@orchard/api/agent';
import type { AgentConfig } from './flags';
import { EngineHealth, reportingUnavailable } from './inventory/engine-health';
import { HealthWatch } from './inventory/health-watch';
import { ImageWatch, type ImageEventSource } from './inventory/image-watch';
import { buildNodeStatus, nodeLabels, type HostFacts } from './inventory/inventory';
import { DesiredPodsStore } from './pods/desired-store';
import { systemMounter, type Mounter } from './pods/mounter';
import { PodReconciler } from './pods/reconciler';
import type { ContainerRuntime, EngineInfo } from './runtime/container-runtime';
import { NodeSession, type StreamFactory, type StreamMessage } from './session/node-session';
import type { StreamRuntime } from './streams/stream-runtime';
import { StreamSessions } from './streams/stream-sessions';
import { AGENT_VERSION } from './version';

/** Samples resource usage of the node's pods (the stats subsystem behind a seam). */
export type UsageSource = (runtime: ContainerRuntime, nodeName: string) => Promise<UsageReport | undefined>;

export interface AgentDeps {
  config: AgentConfig;
  runtime: ContainerRuntime;
  logger: Logger;
  clock: Clock;
  random: () => number;
  /** Host facts, read once at start. */
  hostFacts: () => Promise<HostFacts>;
  usage?: UsageSource;
  usageIntervalMs?: number;
  /** Fresh health readings (Pi temperature, throttling), re-read periodically. */
  readHealth?: () => Promise<NodeHealth>;
  /**
   * The locally made images and their platforms (NodeStatus.images), listed again for every
   * Hello: the scheduler keeps pods off nodes whose architecture their image is not for.
   */
  images?: () => Promise<NodeStatus['images']>;
  /**
   * The engine's image events: an image loaded, built, tagged or removed after the Hello
   * makes the agent list the images again and send them if they changed.
   */
  imageEvents?: ImageEventSource;
  /** Mounts the tmpfs of secret volumes (default: the host's mount(8)). */
  mounter?: Mounter;
  /** Replaces the gRPC transport in tests. */
  connect?: StreamFactory;
  /** The engine's logs and exec (none: such sessions are refused). */
  streams?: StreamRuntime;
}

/**
 * The agent: the pod reconciler fed by the node stream (or, while the master cannot be
 * reached after a restart, by the local copy of the desired pods), reporting pod status
 * back. Stopping the agent leaves every container running.
 */
export class Agent {
  private reconciler?: PodReconciler;
  private session?: NodeSession;
  private healthWatch?: HealthWatch;
  private imageWatch?: ImageWatch;
  private engineHealth?: EngineHealth;
  private streamSessions?: StreamSessions;
  private fromMaster = false;
  private localLoaded = false;
  private store: DesiredPodsStore;

  constructor(private readonly deps: AgentDeps) {
    this.store = new DesiredPodsStore(deps.config.dataDir);
  }

  async run(): Promise<void> {
    const { config, runtime, logger, clock } = this.deps;
    const engine = await runtime.info().catch((err): EngineInfo | undefined => {
      // Preflight checked the socket; a daemon restarting right now is not fatal.
      logger.warn({ err }, 'could not read docker engine info');
      return undefined;
    });
    const facts = await this.deps.hostFacts();
    const status: NodeStatus = buildNodeStatus(facts, {
      maxPods: config.maxPods,
      systemReserved: config.systemReserved,
      agentVersion: AGENT_VERSION,
      dockerVersion: engine?.version,
    });
    const hostIP = facts.internalIP ?? '';
    logger.info(
      { node: config.nodeName, servers: config.servers, docker: engine?.version, arch: status.nodeInfo?.architecture, hostIP },
      'orchard-agent starting',
    );

    this.reconciler = new PodReconciler({
      // A call that finds the engine gone makes the health watch look at once.
      runtime: reportingUnavailable(runtime, () => this.engineHealth?.suspect()),
      clock,
      logger: logger.child({ component: 'pods' }),
      nodeName: config.nodeName,
      pauseImage: config.pauseImage,
      podFilesDir: path.join(config.dataDir, 'pods'),
      mounter: this.deps.mounter ?? systemMounter(),
      hostIP: () => hostIP,
      onStatus: (u) => this.session?.sendPodStatus(u),
    });
    this.reconciler.start();

    const listImages = this.deps.images;
    const hello = async (): Promise<Hello> => {
      if (listImages) {
        // A failed listing keeps the last one: the engine may be restarting right now.
        status.images = await listImages().catch((err: unknown) => {
          logger.warn({ err }, 'could not list local images');
          return status.images;
        });
      }
      return { nodeName: config.nodeName, labels: nodeLabels(config.nodeName, facts), status, agentVersion: AGENT_VERSION };
    };
    const usage = this.deps.usage;
    const streams = this.deps.streams;
    if (streams) {
      this.streamSessions = new StreamSessions({
        runtime,
        streams,
        nodeName: config.nodeName,
        send: (out) => this.session?.sendStreamOutput(out) ?? false,
        logger: logger.child({ component: 'streams' }),
      });
    }
    this.session = new NodeSession({
      servers: config.servers,
      hello,
      onDesiredPods: (set) => {
        this.fromMaster = true;
        this.applyDesired(set.pods, set.revision, set);
      },
      currentStatuses: () => this.reconciler?.currentStatuses() ?? [],
      onDisconnected: (_err, everConnected) => {
        // The master lost its end of every session with the stream.
        this.streamSessions?.closeAll();
        if (!everConnected && !this.fromMaster) void this.loadLocalCopy();
      },
      usage: usage ? () => usage(runtime, config.nodeName) : undefined,
      usageIntervalMs: this.deps.usageIntervalMs,
      clock,
      random: this.deps.random,
      logger: logger.child({ component: 'session' }),
      connect: this.deps.connect,
      onStreamMessage: (m) => this.onStreamMessage(m),
      onDrain: () => this.streamSessions?.drained(),
    });
    this.session.start();

    // A Docker engine that stops answering makes the node not ready (the Hello carries it
    // too, should the stream be down now); the reconciler brings the pods back after it.
    this.engineHealth = new EngineHealth({
      runtime,
      socketPath: config.dockerSocket,
      clock,
      logger: logger.child({ component: 'engine' }),
      onChange: (notReady) => {
        status.conditions = [...status.conditions.filter((c) => c.type !== 'Ready'), ...(notReady ? [notReady] : [])];
        this.session?.sendNodeStatus(status);
        // Back: watch and look at every pod now rather than at the reconciler's next retry.
        if (!notReady) {
          this.reconciler?.engineBack();
          this.imageWatch?.engineBack();
        }
      },
    });
    this.engineHealth.start();

    if (listImages && this.deps.imageEvents) {
      this.imageWatch = new ImageWatch({
        events: this.deps.imageEvents,
        list: listImages,
        reported: () => status.images,
        onChange: (images) => {
          // The next Hello lists them again, should the stream be down now.
          status.images = images;
          this.session?.sendNodeStatus(status);
        },
        clock,
        logger: logger.child({ component: 'images' }),
      });
      this.imageWatch.start();
    }

    if (this.deps.readHealth) {
      this.healthWatch = new HealthWatch({
        read: this.deps.readHealth,
        initial: status.health ?? {},
        onChange: (health) => {
          // The next Hello carries it too, should the stream be down now.
          status.health = health;
          this.session?.sendNodeStatus(status);
        },
        clock,
        logger,
      });
      this.healthWatch.start();
    }
  }

  /** Closes the stream and stops reconciling; containers keep running. */
  async stop(): Promise<void> {
    this.healthWatch?.stop();
    this.imageWatch?.stop();
    this.engineHealth?.stop();
    this.session?.stop();
    this.streamSessions?.closeAll();
    await this.reconciler?.stop();
  }

  private onStreamMessage(m: StreamMessage): void {
    const sessions = this.streamSessions;
    if (m.$case === 'streamOpen') {
      const { streamId, request } = m.streamOpen;
      if (!sessions || !request) {
        this.session?.sendStreamOutput({ streamId, output: { $case: 'exit', exit: { exitCode: -1, error: 'this agent does not serve logs and exec' } } });
      } else if (request.$case === 'logs') sessions.openLogs(streamId, request.logs);
      else sessions.openExec(streamId, request.exec);
    } else if (m.$case === 'streamInput') {
      if (m.streamInput.input) sessions?.input(m.streamInput.streamId, m.streamInput.input);
    } else sessions?.close(m.streamClose.streamId);
  }

  private applyDesired(pods: Pod[], revision: string, config?: Pick<DesiredPods, 'configMaps' | 'secrets'>): void {
    this.reconciler?.setDesired(pods, config);
    this.store
      .save(pods, revision, config)
      .then((wrote) => wrote && this.deps.logger.debug({ pods: pods.length }, 'saved local copy of desired pods'))
      .catch((err) => {
        // The pods still run; only a restart while the master is down would miss them.
        this.deps.logger.warn({ err }, 'failed to save the local copy of desired pods');
      });
  }

  /** The master cannot be reached since start: run the pods of the local copy meanwhile. */
  private async loadLocalCopy(): Promise<void> {
    if (this.localLoaded) return;
    this.localLoaded = true;
    try {
      const copy = await this.store.load();
      if (!copy) {
        this.deps.logger.info('master unreachable and no local copy of desired pods; leaving containers as they are');
        return;
      }
      if (this.fromMaster) return;
      if (copy.secretsError) this.deps.logger.warn({ file: this.store.file, reason: copy.secretsError }, 'the Secrets of the local copy cannot be read; pods that use them wait for the master');
      this.deps.logger.info(
        { pods: copy.pods.length, configMaps: copy.configMaps.length, secrets: copy.secrets.length, file: this.store.file },
        'master unreachable; running pods from the local copy',
      );
      this.reconciler?.setDesired(copy.pods, copy);
    } catch (err) {
      // Without a readable copy nothing is removed: containers stay as they are.
      this.deps.logger.error({ err }, 'failed to load the local copy of desired pods');
    }
  }
}
