import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import {
  BadRequestError,
  JoinResponse,
  Node,
  ObjectMeta,
  OrchardError,
  RenewCertificateResponse,
  kindByCase,
  rfc3339,
  toServiceError,
  wrapNode,
  AlreadyExistsError,
  type BootstrapServiceServer,
  type Clock,
  type JoinRequest,
  type Logger,
  type RenewCertificateRequest,
} from '@orchard/api';
import type { IdSource } from '../ids';
import { peerIdentity, renewNodeCertificate, signJoinRequest, type CertifiedKey } from '../pki';
import type { ObjectStore } from '../store/object-store';
import type { JoinRateLimiter, JoinUsage, TokenStore } from '../tokens';

export interface BootstrapDeps {
  readonly ca: CertifiedKey;
  readonly tokens: TokenStore;
  /** One per process: the rate limit is per source address across all join calls. */
  readonly limiter: JoinRateLimiter;
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
  /** Names of the masters now registered, and their addresses. */
  masters(): Promise<Array<{ name: string; address: string }>>;
  /** What a joining master needs to run: the server secret and where etcd is. */
  readonly serverSecret: string;
  readonly etcdEndpoints: readonly string[];
  /** Lifetime of node certificates, at join and at every renewal (default 90 days). */
  readonly nodeCertTtlMs?: number;
}

/**
 * Joins and certificate renewals. Join is the only call served without a client
 * certificate: the token authenticates it (pki/join-signer.ts does every check).
 */
export class BootstrapService {
  constructor(private readonly deps: BootstrapDeps) {}

  async join(req: JoinRequest, peer: string): Promise<JoinResponse> {
    const { deps } = this;
    const usage = (req.usage || 'node') as JoinUsage;
    if (usage !== 'node' && usage !== 'master') throw new BadRequestError(`usage must be "node" or "master", got ${JSON.stringify(req.usage)}`);
    const masters = await deps.masters();
    const result = await signJoinRequest(
      {
        ca: deps.ca,
        tokens: deps.tokens,
        limiter: deps.limiter,
        nodeCertTtlMs: deps.nodeCertTtlMs,
        nameTaken: async (u, name) =>
          u === 'node' ? (await deps.store.tryGet(kindByCase('node'), '', name)) !== undefined : masters.some((m) => m.name === name),
      },
      { peer, token: req.token, csrPem: req.csrPem, usage, now: deps.clock.now() },
    );
    if (req.name && req.name !== result.name) {
      throw new BadRequestError(`name ${JSON.stringify(req.name)} differs from the name in the certificate signing request (${result.name})`);
    }
    // The Node exists from the join on: its certificate is accepted only while it does,
    // so `orchard delete node` revokes the machine (auth/authenticate.ts).
    if (usage === 'node') await this.registerNode(result.name);
    deps.log.info({ name: result.name, usage, peer }, 'joined');
    return JoinResponse.fromPartial({
      certificatePem: result.certPem,
      caPem: result.caPem,
      masters: masters.map((m) => m.address),
      ...(usage === 'master' ? { serverSecret: deps.serverSecret, etcdEndpoints: [...deps.etcdEndpoints] } : {}),
    });
  }

  async renew(req: RenewCertificateRequest, call: { getAuthContext(): unknown }): Promise<RenewCertificateResponse> {
    const who = peerIdentity(call as Parameters<typeof peerIdentity>[0], { caCertPem: this.deps.ca.certPem });
    const certificatePem = await renewNodeCertificate(this.deps.ca, who, req.csrPem, { now: this.deps.clock.now(), ttlMs: this.deps.nodeCertTtlMs });
    this.deps.log.info({ node: who.nodeName }, 'renewed a node certificate');
    return RenewCertificateResponse.fromPartial({ certificatePem });
  }

  private async registerNode(name: string): Promise<void> {
    const { store, ids, clock } = this.deps;
    const node = Node.fromPartial({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: ObjectMeta.fromPartial({ name, uid: ids.uuid(), creationTimestamp: rfc3339(clock.now()), generation: 1 }),
      spec: {},
    });
    try {
      await store.create(wrapNode(node));
    } catch (err) {
      // The agent connected and registered itself first.
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }
}

/** The gRPC handlers of the bootstrap service. */
export function bootstrapServiceHandlers(svc: BootstrapService, log: Logger): BootstrapServiceServer {
  const reply =
    <Res>(method: string, callback: sendUnaryData<Res>) =>
    (p: Promise<Res>) =>
      p.then(
        (res) => callback(null, res),
        (err: unknown) => {
          if (err instanceof OrchardError) log.info({ method, err: err.message }, 'bootstrap request refused');
          else log.error({ method, err }, 'bootstrap request failed');
          callback(toServiceError(err), null);
        },
      );
  return {
    join: (call: ServerUnaryCall<JoinRequest, JoinResponse>, callback: sendUnaryData<JoinResponse>) =>
      reply('Join', callback)(svc.join(call.request, call.getPeer())),
    renewCertificate: (call: ServerUnaryCall<RenewCertificateRequest, RenewCertificateResponse>, callback: sendUnaryData<RenewCertificateResponse>) =>
      reply('RenewCertificate', callback)(svc.renew(call.request, call)),
  };
}
