import { ForbiddenError, resolveKind } from '@orchard/api';
import type { Identity, Role } from '../pki';

/**
 * Who may call what: one table for every gRPC method the master serves, so the whole
 * policy can be read (and tested) in one place. Method names are `Service/Method`.
 *
 * - admin: everything.
 * - master: everything an admin may do (a master holds the server secret and the CA
 *   anyway; the role exists so masters can call each other).
 * - viewer: read-only cluster API (Get, List, Watch, Top, ListMasters), never Secrets.
 * - credentials and secret re-encryption: admin only.
 * - node: its own node stream (as itself: checked against Hello by the node guard) and
 *   the renewal of its own certificate. A node reads pods, ConfigMaps and Secrets only
 *   through its stream, which carries exactly what its pods reference; it has no access
 *   to the cluster API at all.
 */
export const METHOD_ROLES: Readonly<Record<string, readonly Role[]>> = {
  'ClusterService/Apply': ['admin', 'master'],
  'ClusterService/Delete': ['admin', 'master'],
  'ClusterService/Get': ['admin', 'master', 'viewer'],
  'ClusterService/List': ['admin', 'master', 'viewer'],
  'ClusterService/Watch': ['admin', 'master', 'viewer'],
  'ClusterService/ListMasters': ['admin', 'master', 'viewer'],
  'ClusterService/Top': ['admin', 'master', 'viewer'],
  'ClusterService/Logs': ['admin', 'master'],
  'ClusterService/Exec': ['admin', 'master'],
  'ClusterService/CreateToken': ['admin', 'master'],
  'ClusterService/ListTokens': ['admin', 'master'],
  'ClusterService/DeleteToken': ['admin', 'master'],
  // Only a person with admin credentials hands out credentials or rewrites every Secret.
  'ClusterService/CreateCredentials': ['admin'],
  'ClusterService/ReencryptSecrets': ['admin'],
  'NodeService/Connect': ['node', 'admin', 'master'],
  'BootstrapService/RenewCertificate': ['node'],
};

/** Kinds a viewer may not read: their data is the point of keeping them secret. */
const HIDDEN_FROM_VIEWERS = new Set(['secret']);

/** Describes a caller in messages: `node "pi1"`, `admin "admin"`. */
export function describeCaller(who: Identity): string {
  return `${who.role} "${who.nodeName ?? who.masterName ?? who.commonName}"`;
}

/**
 * Throws ForbiddenError (PERMISSION_DENIED) unless `who` may call `method` with
 * `request`. A method missing from the table is refused to everyone: a new RPC is
 * closed until someone decides who may call it.
 */
export function authorize(who: Identity, method: string, request?: unknown): void {
  const roles = METHOD_ROLES[method];
  if (!roles || !roles.includes(who.role)) {
    throw new ForbiddenError(`${describeCaller(who)} may not call ${method}${roleHint(who.role)}`);
  }
  if (who.role === 'viewer' && request && typeof request === 'object' && 'kind' in request) {
    const kind = safeKind(String((request as { kind: unknown }).kind));
    if (kind && HIDDEN_FROM_VIEWERS.has(kind)) {
      throw new ForbiddenError(`${describeCaller(who)} may not read secrets (viewers see everything else)`);
    }
  }
}

/** Throws ForbiddenError when a node speaks for another node (Hello, status reports). */
export function authorizeNodeName(who: Identity, nodeName: string): void {
  if (who.role === 'node' && who.nodeName !== nodeName) {
    throw new ForbiddenError(`${describeCaller(who)} may not act as node "${nodeName}"`);
  }
}

function roleHint(role: Role): string {
  if (role === 'node') return ': node certificates may only use their own node stream';
  if (role === 'viewer') return ': viewer certificates are read-only';
  return '';
}

function safeKind(kind: string): string | undefined {
  try {
    return resolveKind(kind).case;
  } catch {
    // An unknown kind is refused by the handler itself with a clear message.
    return undefined;
  }
}
