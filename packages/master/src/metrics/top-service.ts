import {
  BadRequestError,
  InvalidError,
  TopResponse,
  kindByCase,
  parseLabelSelector,
  type LabelSelectorParsed,
  type Logger,
  type MasterInfo,
  type Node,
  type Pod,
  type TopRequest,
  type UsageReport,
  type UsageRow,
} from '@orchard/api';
import type { ObjectStore } from '../store/object-store';
import { mergeRows, nodeRows, podRows } from './usage-rows';

/**
 * Whom a Top request asks: `cluster` (a client's request) gathers the reports every master
 * holds; `local` (one master relaying to another) answers from this master's memory alone.
 */
export type TopScope = 'cluster' | 'local';

export interface TopServiceDeps {
  readonly store: ObjectStore;
  readonly log: Logger;
  /** This master's name, to leave itself out of the peers it asks. */
  readonly selfName: string;
  /** The usage reports of the agents connected to this master, by node name, stale ones left out. */
  reports(): ReadonlyMap<string, UsageReport>;
  /** Every master of the cluster (the registry). */
  masters(): Promise<MasterInfo[]>;
  /** Asks one peer master for its local rows. */
  askPeer(address: string, req: TopRequest): Promise<UsageRow[]>;
}

/**
 * `orchard top`: resource usage of nodes and pods. Usage never touches etcd: each master
 * keeps the last report of the agents whose streams it holds in memory, and the master a
 * client asks relays the question to its peers and merges their answers. An idle cluster
 * thus writes nothing for metrics (SD cards), at the price of one loopback-or-LAN call
 * per peer master per `orchard top`.
 */
export class TopService {
  constructor(private readonly deps: TopServiceDeps) {}

  async top(req: TopRequest, scope: TopScope): Promise<TopResponse> {
    const kind = topKind(req.kind);
    const selector = parseSelector(req.labelSelector);
    const local = kind === 'nodes' ? await this.localNodeRows(req, selector) : await this.localPodRows(req, selector);
    if (scope === 'local') return TopResponse.fromPartial({ rows: local.filter((r) => r.timestamp) });
    const peers = (await this.deps.masters()).filter((m) => m.name !== this.deps.selfName && m.address);
    const answers = await Promise.all(
      peers.map((m) =>
        this.deps.askPeer(m.address, req).catch((err: unknown) => {
          // A peer that does not answer costs its nodes' figures, not the whole answer.
          this.deps.log.warn({ master: m.name, address: m.address, err: (err as Error).message }, 'peer master did not answer top');
          return [] as UsageRow[];
        }),
      ),
    );
    return TopResponse.fromPartial({ rows: mergeRows([local, ...answers]) });
  }

  private async localNodeRows(req: TopRequest, selector: LabelSelectorParsed): Promise<UsageRow[]> {
    const { items } = await this.deps.store.list(kindByCase('node'));
    const nodes = items.flatMap((o) => (o.resource?.$case === 'node' ? [o.resource.node as Node] : []));
    return nodeRows(nodes, this.deps.reports(), selector, req.name);
  }

  private async localPodRows(req: TopRequest, selector: LabelSelectorParsed): Promise<UsageRow[]> {
    const ns = req.allNamespaces ? undefined : req.namespace || 'default';
    const { items } = await this.deps.store.list(kindByCase('pod'), ns);
    const pods = items.flatMap((o) => (o.resource?.$case === 'pod' ? [o.resource.pod as Pod] : []));
    return podRows(pods, this.deps.reports().values(), selector, req.name);
  }
}

function topKind(kind: string): 'nodes' | 'pods' {
  switch (kind.trim().toLowerCase()) {
    case 'node':
    case 'nodes':
    case 'no':
      return 'nodes';
    case 'pod':
    case 'pods':
    case 'po':
      return 'pods';
    default:
      throw new BadRequestError(`top: unknown kind "${kind}" (expected nodes or pods)`);
  }
}

function parseSelector(s: string): LabelSelectorParsed {
  try {
    return parseLabelSelector(s);
  } catch (err) {
    if (err instanceof InvalidError || err instanceof BadRequestError) throw err;
    throw new BadRequestError(`invalid label selector "${s}": ${(err as Error).message}`, { cause: err });
  }
}
