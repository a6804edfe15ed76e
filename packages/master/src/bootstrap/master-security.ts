import type { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import {
  BootstrapServiceService,
  ClusterServiceService,
  NodeServiceService,
  kindByCase,
  metaOf,
  objectKey,
  kindOf,
  resolveKind,
  type BootstrapServiceServer,
  type ClusterServiceServer,
  type Clock,
  type Logger,
  type NodeServiceServer,
} from '@orchard/api';
import type { Etcd3 } from 'etcd3';
import { openAuditLog, type AuditSink } from '../audit/audit-log';
import { certificateAuthenticator } from '../auth/authenticate';
import { guardHandlers, type GuardDeps } from '../auth/guard';
import type { IdSource } from '../ids';
import { channelCredentials, issueServingCert, serverCredentials, StaticCertificateProvider, type CertifiedKey } from '../pki';
import type { ObjectStore } from '../store/object-store';
import { JoinRateLimiter } from '../tokens';
import { loadOrCreateCA } from './cluster-ca';
import { BootstrapService, bootstrapServiceHandlers } from './bootstrap-service';
import { EtcdTokenStore } from './etcd-token-store';
import { servingNames } from './serving-names';
import { TokenService, tokenHandlers } from './token-service';
import { adminHandlers } from './admin-handlers';
import type { ReencryptResult } from '../secrets';

export interface SecurityOptions {
  readonly name: string;
  readonly dataDir: string;
  readonly listen: string;
  readonly advertiseAddress: string;
  /** The cluster's server secret (bootstrap/server-secret-file.ts loads it). */
  readonly serverSecret: string;
  /** File for the audit log, `-` for stderr; default <dataDir>/audit.log. */
  readonly auditLog?: string;
  readonly etcdEndpoints: readonly string[];
  /** Lifetime of node certificates (--node-cert-validity); default 90 days. */
  readonly nodeCertValidityMs?: number;
}

export interface SecurityDeps {
  readonly etcd: Etcd3;
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
  masters(): Promise<Array<{ name: string; address: string }>>;
  /** True when the Node cache holds the node: no etcd read per node connection while it does. */
  cachedNode?(name: string): boolean;
  /** One pass re-encrypting every Secret not under the current key (`orchard secrets reencrypt`). */
  reencryptSecrets?(): Promise<ReencryptResult>;
}

/** How often the leader removes expired join tokens. */
const TOKEN_PRUNE_INTERVAL_MS = 60_000;

/**
 * Everything that makes one master secure, built once at start-up: the server secret,
 * the cluster CA (created on the first start), this master's serving certificate, the
 * TLS credentials, the join and token services, and the guard (authentication,
 * authorization, audit) around every handler.
 */
export class MasterSecurity {
  private pruneTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly ca: CertifiedKey,
    readonly serving: CertifiedKey,
    readonly serverSecret: string,
    readonly serverCredentials: ServerCredentials,
    /** For calls to other masters (the serving certificate is also a client certificate). */
    readonly peerCredentials: ChannelCredentials,
    readonly tokens: TokenService,
    readonly bootstrap: BootstrapService,
    private readonly guardDeps: GuardDeps,
    private readonly audit: AuditSink,
    private readonly log: Logger,
    private readonly admin: ReturnType<typeof adminHandlers>,
  ) {}

  static async start(opts: SecurityOptions, deps: SecurityDeps): Promise<MasterSecurity> {
    const { etcd, store, clock, ids, log } = deps;
    const serverSecret = opts.serverSecret;
    const ca = await loadOrCreateCA(etcd, serverSecret, log);
    const { names, ips } = servingNames({ advertiseAddress: opts.advertiseAddress, listen: opts.listen });
    const serving = await issueServingCert(ca, { masterName: opts.name, names, ips });
    const provider = new StaticCertificateProvider(ca.certPem, serving);
    const tokenStore = new EtcdTokenStore(etcd);
    const audit = openAuditLog(opts.auditLog ?? `${opts.dataDir}/audit.log`);
    const authenticate = certificateAuthenticator({
      caCertPem: ca.certPem,
      now: () => clock.now(),
      // The cache answers for known nodes (also while etcd is unreachable); etcd only for a
      // node the cache has not seen yet (it joined a moment ago) or that was just deleted.
      nodeExists: async (name) => deps.cachedNode?.(name) === true || (await store.tryGet(kindByCase('node'), '', name)) !== undefined,
    });
    const tokens = new TokenService({ tokens: tokenStore, caCertPem: ca.certPem, advertiseAddress: opts.advertiseAddress, clock, log: log.child({ component: 'tokens' }) });
    const bootstrap = new BootstrapService({
      ca,
      tokens: tokenStore,
      limiter: new JoinRateLimiter({ clock }),
      store,
      clock,
      ids,
      log: log.child({ component: 'bootstrap' }),
      masters: deps.masters,
      serverSecret,
      etcdEndpoints: opts.etcdEndpoints,
      nodeCertTtlMs: opts.nodeCertValidityMs,
    });
    return new MasterSecurity(
      ca,
      serving,
      serverSecret,
      serverCredentials(provider),
      channelCredentials(ca.certPem, serving),
      tokens,
      bootstrap,
      { authenticate: authenticate as GuardDeps['authenticate'], audit, clock, log },
      audit,
      log,
      adminHandlers({ ca, clock, log: log.child({ component: 'credentials' }), masters: deps.masters, reencryptSecrets: deps.reencryptSecrets }),
    );
  }

  /** The cluster API with the token calls served, every call authenticated, authorized and (writes) audited. */
  guardCluster(handlers: ClusterServiceServer): ClusterServiceServer {
    const withTokens = { ...handlers, ...tokenHandlers(this.tokens, this.log), ...this.admin };
    return guardHandlers(ClusterServiceService, withTokens, this.guardDeps, {
      audited: {
        Apply: (req: { objects?: Parameters<typeof kindOf>[0][] }) => (req.objects ?? []).map(describeObject),
        Delete: (req: { kind: string; namespace: string; name: string }) => [describeRef(req.kind, req.namespace, req.name)],
        CreateToken: (_req: unknown, res?: { token?: { id: string } }) => (res?.token ? [`token ${res.token.id}`] : []),
        DeleteToken: (req: { id: string }) => [`token ${req.id.split('.')[0]}`],
        CreateCredentials: (req: { name: string; role: string }) => [`credentials ${req.role}/${req.name}`],
        ReencryptSecrets: (_req: unknown, res?: { rewritten: number; total: number }) => [res ? `secrets: ${res.rewritten} of ${res.total} re-encrypted` : 'secrets'],
      },
    });
  }

  guardNodes(handlers: NodeServiceServer): NodeServiceServer {
    return guardHandlers(NodeServiceService, handlers, this.guardDeps);
  }

  bootstrapHandlers(): BootstrapServiceServer {
    return guardHandlers(BootstrapServiceService, bootstrapServiceHandlers(this.bootstrap, this.log), this.guardDeps, {
      public: ['Join'],
      // The token id only: the secret never reaches a log.
      audited: { Join: (req: { token?: string; usage?: string; csrPem?: string }) => [`${req.usage || 'node'} join with token ${String(req.token ?? '').slice(0, 6)}`] },
    });
  }

  /** Removes expired tokens every minute while `isLeader()` says this master leads. */
  startPruning(isLeader: () => boolean): void {
    this.pruneTimer = setInterval(() => {
      if (!isLeader()) return;
      this.tokens.prune().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'pruning expired join tokens failed'));
    }, TOKEN_PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.audit.close();
  }
}

function describeObject(o: Parameters<typeof kindOf>[0]): string {
  try {
    const m = metaOf(o);
    return objectKey(kindOf(o), m.namespace || 'default', m.name);
  } catch {
    return '(malformed object)';
  }
}

function describeRef(kind: string, namespace: string, name: string): string {
  try {
    const k = resolveKind(kind);
    return objectKey(k, k.namespaced ? namespace || 'default' : '', name);
  } catch {
    return `${kind}/${name}`;
  }
}
