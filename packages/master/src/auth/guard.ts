import { status as GrpcStatus, type ServiceDefinition } from '@grpc/grpc-js';
import { AgentMessage, OrchardError, rfc3339, toServiceError, type Clock, type Logger } from '@orchard/api';
import type { AuditSink } from '../audit/audit-log';
import type { Identity } from '../pki';
import { authorize, authorizeNodeName } from './authorize';

/** Names of the objects a mutating call touched, for the audit log. */
export type AuditedObjects = (request: any, response: any) => string[];

export interface GuardDeps {
  /** Who the caller is (client certificate, node not deleted); throws UNAUTHENTICATED. */
  authenticate(call: { getAuthContext(): unknown; getPeer(): string }): Promise<Identity>;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface GuardOptions {
  /** Methods (by their proto name, e.g. "Apply") recorded in the audit log, with what they touched. */
  readonly audited?: Readonly<Record<string, AuditedObjects>>;
  /** Methods anyone may call without a certificate (the join: its token authenticates it). */
  readonly public?: readonly string[];
}

type AnyCall = {
  request?: unknown;
  getAuthContext(): unknown;
  getPeer(): string;
  emit(event: string, ...args: unknown[]): boolean;
  on(event: string, fn: (...args: any[]) => void): unknown;
  cancelled?: boolean;
};
type AnyHandler = (call: AnyCall, callback?: (err: unknown, res?: unknown) => void) => void;

/**
 * Puts authentication, authorization and auditing in front of every handler of a
 * service, so no handler can forget them: the caller's certificate is checked, the
 * method is authorized for its role (auth/authorize.ts), a node's stream is held to its
 * own node name, and mutating calls are written to the audit log with their result.
 */
export function guardHandlers<S extends object>(definition: ServiceDefinition, handlers: S, deps: GuardDeps, opts: GuardOptions = {}): S {
  const out: Record<string, AnyHandler> = {};
  for (const [key, def] of Object.entries(definition)) {
    const handler = (handlers as Record<string, AnyHandler>)[key];
    if (!handler) continue;
    // "/orchard.v1.ClusterService/Apply" -> "ClusterService/Apply"
    const method = def.path.replace(/^\/(?:[^/]*\.)?/, '');
    const shortName = method.slice(method.indexOf('/') + 1);
    const audited = opts.audited?.[shortName];
    const isPublic = opts.public?.includes(shortName) ?? false;
    const unary = !def.requestStream && !def.responseStream;
    const clientStreaming = def.requestStream;

    const record = (who: Identity | undefined, call: AnyCall, req: unknown, res: unknown, err: unknown) => {
      if (!audited) return;
      let objects: string[] = [];
      try {
        objects = audited(req, res);
      } catch {
        objects = [];
      }
      // Handlers answer with a ServiceError already (code and details); typed errors are converted.
      const se = !err ? undefined : typeof (err as { code?: unknown }).code === 'number' && !(err instanceof Error) ? (err as { code: number; details?: string }) : toServiceError(err);
      deps.audit.record({
        time: rfc3339(deps.clock.now()),
        who: who?.commonName ?? `(no certificate) ${call.getPeer()}`,
        role: who?.role ?? 'none',
        what: method,
        objects,
        result: se ? (GrpcStatus[se.code ?? GrpcStatus.UNKNOWN] ?? String(se.code)) : 'OK',
        ...(se ? { message: se.details ?? (err as Error).message } : {}),
        peer: call.getPeer(),
      });
    };

    out[key] = (call, callback) => {
      const fail = (who: Identity | undefined, err: unknown) => {
        if (!(err instanceof OrchardError)) deps.log.error({ method, err }, 'request failed before its handler');
        record(who, call, call.request, undefined, err);
        const se = toServiceError(err);
        if (callback) callback(se, null);
        // grpc-js turns an 'error' event into the call's status and ends the stream.
        else call.emit('error', Object.assign(new Error(se.details ?? (err as Error).message), se));
      };
      const admitted = isPublic ? Promise.resolve(undefined) : deps.authenticate(call);
      admitted.then(
        (who) => {
          try {
            if (who) authorize(who, method, clientStreaming ? undefined : call.request);
          } catch (err) {
            return fail(who, err);
          }
          if (unary && callback) {
            return handler(call, (err, res) => {
              record(who, call, call.request, res, err);
              callback(err, res);
            });
          }
          if (audited && !clientStreaming) record(who, call, call.request, undefined, undefined);
          if (who?.role === 'node' && clientStreaming) return handler(nodeScoped(call, who), callback);
          return handler(call, callback);
        },
        (err: unknown) => fail(undefined, err),
      );
    };
  }
  return { ...handlers, ...out } as S;
}

/**
 * The node stream of a node certificate: its Hello must name the certificate's node.
 * Everything after Hello is scoped by the session to the node Hello named.
 */
function nodeScoped(call: AnyCall, who: Identity): AnyCall {
  return new Proxy(call, {
    get(target, prop) {
      if (prop === 'on') {
        return (event: string, fn: (...args: any[]) => void) => {
          if (event !== 'data') return target.on(event, fn);
          return target.on('data', (m: AgentMessage) => {
            if (m?.message?.$case === 'hello') {
              try {
                authorizeNodeName(who, m.message.hello.nodeName);
              } catch (err) {
                const se = toServiceError(err);
                target.emit('error', Object.assign(new Error(se.details ?? (err as Error).message), se));
                return;
              }
            }
            fn(m);
          });
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
