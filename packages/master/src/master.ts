import path from 'node:path';
import {
  AlreadyExistsError,
  Namespace,
  UnavailableError,
  kindByCase,
  rfc3339,
  systemClock,
  type Clock,
  type Logger,
} from '@orchard/api';
import type { Etcd3 } from 'etcd3';
import { ClusterService, clusterServiceHandlers } from './api/cluster-service';
import { writeAdminConfig } from './bootstrap/admin-config';
import { MasterSecurity } from './bootstrap/master-security';
import { loadServerSecret } from './bootstrap/server-secret-file';
import { secretKeyring } from './secrets';
import { SecretReencryption } from './secrets/etcd-reencryption';
import { encryptingCodec, readEncryptionConfig } from './store/value-codec';
import { LeaderElection } from './election/leader-election';
import { MasterRegistry } from './election/master-registry';
import { createEtcdClient } from './etcd/client';
import { EmbeddedEtcd } from './etcd/embedded-etcd';
import type { MasterFlags } from './flags';
import { randomIds, type IdSource } from './ids';
import { NodeControllers } from './nodes/node-controllers';
import { NodeLifecycle } from './nodes/node-lifecycle';
import { EtcdNodeLeases } from './nodes/node-lease';
import { NodeService, nodeServiceHandlers } from './nodes/node-service';
import { PeerTopClient, topHandler } from './metrics/top-handler';
import { TopService } from './metrics/top-service';
import { findPlacement } from './scheduler/framework/find-placement';
import { Scheduler } from './scheduler/scheduler';
import { GrpcServer } from './server';
import { SessionRelay } from './streams/session-relay';
import { streamHandlers } from './streams/stream-handlers';
import { Informer } from './store/cache';
import { ObjectStore } from './store/object-store';
import { PodsByNode } from './store/pods-by-node';
import { PodConfigObjects } from './nodes/pod-references';
import { registryPlatforms } from './images/registry-platforms';
import { VERSION } from './version';

export interface MasterDeps {
  readonly log: Logger;
  readonly clock?: Clock;
  readonly ids?: IdSource;
}

/**
 * One orchard-master: serves the cluster API and the node streams on one port; when
 * elected, also runs the scheduler and the node lifecycle controller. Stateless: all
 * state is in etcd, so any number of masters can run side by side.
 */
export class Master {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly ids: IdSource;
  private embedded: EmbeddedEtcd | undefined;
  private etcd: Etcd3 | undefined;
  private informers: Informer[] = [];
  private election: LeaderElection | undefined;
  private registry: MasterRegistry | undefined;
  private security: MasterSecurity | undefined;
  private nodeService: NodeService | undefined;
  private peerTop: PeerTopClient | undefined;
  private nodeLeases: EtcdNodeLeases | undefined;
  private server: GrpcServer | undefined;
  private scheduler: Scheduler | undefined;
  private lifecycle: NodeLifecycle | undefined;
  private nodeControllers: NodeControllers | undefined;
  private reencryption: SecretReencryption | undefined;
  private stopping: Promise<void> | undefined;
  /** The port the gRPC server listens on. */
  port = 0;

  constructor(
    private readonly flags: MasterFlags,
    deps: MasterDeps,
  ) {
    this.log = deps.log;
    this.clock = deps.clock ?? systemClock;
    this.ids = deps.ids ?? randomIds;
  }

  /** Starts everything; resolves once the API serves. */
  async run(): Promise<void> {
    const { flags, log, clock, ids } = this;
    let urls = [...flags.etcd];
    if (urls.length === 0) {
      this.embedded = new EmbeddedEtcd({
        dataDir: path.join(flags.dataDir, 'etcd'),
        name: flags.name,
        clientPort: flags.etcdClientPort,
        peerPort: flags.etcdPeerPort,
        log: log.child({ component: 'etcd' }),
      });
      await this.embedded.start();
      urls = [this.embedded.clientUrl];
    }
    const etcd = (this.etcd = createEtcdClient(urls));
    // The server secret opens the CA and derives the key that encrypts Secrets at rest.
    const serverSecret = await loadServerSecret(flags.serverSecretFile, flags.dataDir);
    const keyring = secretKeyring(serverSecret, flags.encryptionConfig ? await readEncryptionConfig(flags.encryptionConfig) : undefined);
    const store = new ObjectStore(etcd, undefined, encryptingCodec(keyring, [ObjectStore.registryPrefix(kindByCase('secret'))]));
    await this.ensureDefaultNamespace(store);
    // Completes key rotations: the leader rewrites Secrets stored under an older key.
    const reencryption = (this.reencryption = new SecretReencryption({ etcd, store, keyring, log: log.child({ component: 'secret-encryption' }) }));

    const pods = new Informer(store, kindByCase('pod'), log);
    const nodes = new Informer(store, kindByCase('node'), log);
    // ConfigMaps and Secrets go to the nodes whose pods use them.
    const configMaps = new Informer(store, kindByCase('configMap'), log);
    const secrets = new Informer(store, kindByCase('secret'), log);
    this.informers = [pods, nodes, configMaps, secrets];
    // The node streams must not send a node an empty pod set before the cache is loaded.
    await Promise.all(this.informers.map((i) => i.start()));
    const podsByNode = new PodsByNode(pods);

    const election = (this.election = new LeaderElection(etcd, { name: flags.name, ttlSeconds: flags.leaderLeaseTtlSeconds, log }));
    const fence = () => election.fence();
    this.registry = new MasterRegistry(etcd, { name: flags.name, address: flags.advertiseAddress, version: VERSION, startedAt: rfc3339(clock.now()) }, log);
    await this.registry.start();
    const masters = async () => (await MasterRegistry.list(etcd, undefined)).map((m) => ({ name: m.name, address: m.address }));
    const security = (this.security = await MasterSecurity.start(
      { name: flags.name, dataDir: flags.dataDir, listen: flags.listen, advertiseAddress: flags.advertiseAddress, serverSecret, auditLog: flags.auditLog, etcdEndpoints: urls, nodeCertValidityMs: flags.nodeCertValidityMs },
      { etcd, store, clock, ids, log: log.child({ component: 'security' }), masters, cachedNode: (name) => nodes.peek(`nodes/${name}`) !== undefined, reencryptSecrets: () => reencryption.run() },
    ));

    // Image platforms from registries (the architecture filter); resolved off the scheduling loop.
    const fromRegistries = flags.registryPlatformLookup === false
      ? undefined
      : registryPlatforms({ nodes, secrets, clock, log: log.child({ component: 'image-platforms' }), insecureRegistries: flags.insecureRegistries ?? [] });
    this.scheduler = new Scheduler({ store, pods, nodes, podsByNode, clock, log: log.child({ component: 'scheduler' }), fence, place: (p, s) => findPlacement(p, s), registryPlatforms: fromRegistries });
    this.lifecycle = new NodeLifecycle({ etcd, store, nodes, clock, log: log.child({ component: 'node-lifecycle' }), fence });
    this.nodeControllers = new NodeControllers({
      store,
      nodes,
      pods,
      podsByNode,
      clock,
      ids,
      log: log.child({ component: 'node-controllers' }),
      fence,
      podEvictionTimeoutMs: flags.podEvictionTimeoutMs ?? 3000,
      evictionRate: flags.evictionRate ?? 10,
      unhealthyZoneThreshold: flags.unhealthyZoneThreshold ?? 0.55,
    });
    election.onLeader(() => {
      this.scheduler!.start();
      this.nodeControllers!.start();
      this.lifecycle!.start().catch((err: unknown) => log.error({ err }, 'node lifecycle failed to start'));
      reencryption.startAsLeader(fence);
    });
    election.onFollower(() => {
      void this.scheduler!.stop();
      this.nodeControllers!.stop();
      void this.lifecycle!.stop();
      reencryption.stop();
    });

    const cluster = new ClusterService({
      store,
      clock,
      ids,
      log: log.child({ component: 'api' }),
      listMasters: async () => MasterRegistry.list(etcd, await election.leaderName()),
    });
    const relay = new SessionRelay({ ids, log: log.child({ component: 'streams' }) });
    this.nodeService = new NodeService({
      store,
      pods,
      podsByNode,
      configObjects: new PodConfigObjects(configMaps, secrets),
      leases: (this.nodeLeases = new EtcdNodeLeases(etcd)),
      clock,
      ids,
      log: log.child({ component: 'nodes' }),
      masterName: flags.name,
      gracePeriodMs: flags.nodeGracePeriodMs,
      streams: relay,
    });
    const nodeService = this.nodeService;
    const peerTop = (this.peerTop = new PeerTopClient(security.peerCredentials));
    const top = new TopService({
      store,
      log: log.child({ component: 'top' }),
      selfName: flags.name,
      reports: () => nodeService.usageReports(),
      masters: () => MasterRegistry.list(etcd, undefined),
      askPeer: (address, req) => peerTop.ask(address, req),
    });
    this.server = new GrpcServer(security.guardCluster({
        ...clusterServiceHandlers(cluster, log),
        top: topHandler(top, log),
        ...streamHandlers({ store, relay, masterName: flags.name, log: log.child({ component: 'streams' }), listMasters: async () => MasterRegistry.list(etcd, await election.leaderName()) }),
      }), security.guardNodes(nodeServiceHandlers(this.nodeService)), { bootstrap: security.bootstrapHandlers(), credentials: security.serverCredentials });
    this.port = await this.server.listen(flags.listen);
    election.start();
    security.startPruning(() => election.isLeader());
    const admin = await writeAdminConfig(flags.dataDir, security.ca, [flags.advertiseAddress]);
    if (admin.written) log.info({ file: admin.file }, 'wrote the admin credentials; copy them to ~/.orchard/config');
    log.info({ listen: flags.listen, port: this.port, etcd: urls, name: flags.name, version: VERSION }, 'orchard-master serving');
  }

  /**
   * Stops in order: leader work, leadership (resigned, so another master takes over at
   * once), node streams, the server, pending status writes, etcd. Containers on the
   * nodes are not touched: the master never talks to Docker.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const { log } = this;
    const step = async (what: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (err) {
        log.warn({ err: (err as Error).message }, `stopping: ${what} failed`);
      }
    };
    await step('scheduler', () => this.scheduler?.stop());
    await step('node lifecycle', () => this.lifecycle?.stop());
    await step('node controllers', () => this.nodeControllers?.stop());
    await step('secret re-encryption', () => this.reencryption?.stop());
    await step('election', () => this.election?.stop());
    await step('node streams', () => this.nodeService?.closeAll());
    await step('server', () => this.server?.stop());
    await step('peer clients', async () => this.peerTop?.close());
    await step('status writes', async () => {
      await this.nodeService?.podStatusWrites.idle();
      await this.nodeService?.nodeStatusWrites.idle();
    });
    await step('master record', () => this.registry?.stop());
    await step('security', () => this.security?.stop());
    await step('caches', async () => {
      await Promise.all(this.informers.map((i) => i.stop()));
    });
    await step('node leases', () => this.nodeLeases?.close());
    await step('etcd client', () => this.etcd?.close());
    await step('embedded etcd', () => this.embedded?.stop());
    log.info('orchard-master stopped');
  }

  /** The `default` namespace always exists; waits for etcd (a cluster may start in any order). */
  private async ensureDefaultNamespace(store: ObjectStore): Promise<void> {
    const ns = Namespace.fromPartial({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default', uid: this.ids.uuid(), creationTimestamp: rfc3339(this.clock.now()), generation: 1 },
      spec: {},
      status: { phase: 'Active' },
    });
    for (let attempt = 1; ; attempt++) {
      try {
        if (await store.tryGet(kindByCase('namespace'), '', 'default')) return;
        await store.create({ resource: { $case: 'namespace', namespace: ns } });
        return;
      } catch (err) {
        if (err instanceof AlreadyExistsError) return;
        if (!(err instanceof UnavailableError) || attempt >= 30) throw new Error(`failed to reach etcd: ${(err as Error).message}`, { cause: err });
        this.log.warn({ err: err.message, attempt }, 'etcd not available yet; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}
