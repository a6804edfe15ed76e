import { UnauthenticatedError } from '@orchard/api';
import { peerIdentity, type CallWithAuthContext, type Identity } from '../pki';

export interface AuthenticatorDeps {
  /** The cluster CA; certificates are checked against it again (defense in depth). */
  readonly caCertPem: string;
  /** True while a Node of that name exists; a deleted node's certificate stops working. */
  nodeExists(name: string): Promise<boolean>;
  readonly now?: () => number;
}

/**
 * The identity behind a call: a client certificate signed by the cluster CA that names
 * exactly one role. A node certificate also needs its Node object: `orchard delete node`
 * revokes it, even before it expires. Throws UnauthenticatedError otherwise.
 */
export function certificateAuthenticator(deps: AuthenticatorDeps): (call: CallWithAuthContext) => Promise<Identity> {
  return async (call) => {
    const who = peerIdentity(call, { caCertPem: deps.caCertPem, now: deps.now?.() });
    if (who.role === 'node' && !(await deps.nodeExists(who.nodeName!))) {
      throw new UnauthenticatedError(
        `node "${who.nodeName}" was deleted from the cluster; its certificate is no longer accepted ` +
          '(to add the machine again, remove its credentials and join it with a new token)',
      );
    }
    return who;
  };
}
