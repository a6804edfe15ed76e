import type { Clock, Logger } from '@orchard/api';
import type { IdSource } from '../ids';
import type { Informer, InformerHandler } from '../store/cache';
import type { Fence } from '../store/fence';
import type { ObjectStore } from '../store/object-store';
import type { PodsByNode } from '../store/pods-by-node';
import { LifecycleTaintController } from './lifecycle-taint-controller';
import { StorePodEvictor } from './pod-eviction';
import { TaintEviction } from './taint-eviction';
import { TokenBucket } from './token-bucket';

export interface NodeControllersDeps {
  readonly store: ObjectStore;
  readonly nodes: Informer;
  readonly pods: Informer;
  readonly podsByNode: PodsByNode;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
  fence(): Fence;
  /** How long a pod stays on an unreachable or not-ready node without a toleration of its own (ms). */
  readonly podEvictionTimeoutMs: number;
  /** Pods evicted per second across the cluster (also the burst). */
  readonly evictionRate: number;
  /** Fraction of nodes not Ready above which nothing is evicted. */
  readonly unhealthyZoneThreshold: number;
}

/**
 * The leader-only controllers that act on node health beyond the Ready condition: the
 * lifecycle taints (unreachable/not-ready NoExecute) and the taint manager that evicts
 * pods from tainted nodes. Both follow the node and pod caches while running.
 */
export class NodeControllers {
  private readonly taints: LifecycleTaintController;
  private readonly eviction: TaintEviction;
  private readonly nodeHandler: InformerHandler;
  private readonly podHandler: InformerHandler;
  private running = false;

  constructor(private readonly deps: NodeControllersDeps) {
    const log = deps.log;
    this.taints = new LifecycleTaintController({ store: deps.store, clock: deps.clock, log, fence: () => deps.fence() });
    this.eviction = new TaintEviction({
      nodes: deps.nodes,
      pods: deps.podsByNode,
      evictor: new StorePodEvictor({ store: deps.store, ids: deps.ids, clock: deps.clock, log, fence: () => deps.fence() }),
      limiter: new TokenBucket(deps.clock, deps.evictionRate),
      clock: deps.clock,
      log,
      defaultTimeoutMs: deps.podEvictionTimeoutMs,
      unhealthyThreshold: deps.unhealthyZoneThreshold,
    });
    this.nodeHandler = {
      onAdd: (o) => {
        this.taints.onNode(o);
        this.eviction.poke();
      },
      onUpdate: (_old, o) => {
        this.taints.onNode(o);
        this.eviction.poke();
      },
      onDelete: () => this.eviction.poke(),
    };
    const podChanged = (o: Parameters<NonNullable<InformerHandler['onAdd']>>[0]) => {
      const nodeName = o.resource?.$case === 'pod' ? o.resource.pod.spec?.nodeName : undefined;
      if (nodeName && this.eviction.watches(nodeName)) this.eviction.poke();
    };
    this.podHandler = { onAdd: podChanged, onUpdate: (_old, o) => podChanged(o) };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.nodes.addHandler(this.nodeHandler);
    this.deps.pods.addHandler(this.podHandler);
    this.taints.start(this.deps.nodes.values());
    this.eviction.start();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.deps.nodes.removeHandler(this.nodeHandler);
    this.deps.pods.removeHandler(this.podHandler);
    this.taints.stop();
    this.eviction.stop();
  }
}
