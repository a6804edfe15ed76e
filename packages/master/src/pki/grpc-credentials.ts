import { credentials, experimental, type ChannelCredentials, type ServerCredentials } from '@grpc/grpc-js';
import type { CertifiedKey } from './certified-key';
import { withNewline } from './key-pair';
import { identityFromCert, type Identity, type IdentityCheckOptions } from './identity';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/**
 * Serves the CA and a key pair to grpc-js, and lets the master swap in a renewed serving
 * certificate without restarting its server (new handshakes use the new one).
 */
export class StaticCertificateProvider implements experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  constructor(
    private caCertPem: string,
    private identity: CertifiedKey,
  ) {}

  /** Replaces the serving certificate (and optionally the CA bundle) for future handshakes. */
  update(identity: CertifiedKey, caCertPem = this.caCertPem): void {
    this.identity = identity;
    this.caCertPem = caCertPem;
    for (const l of this.caListeners) l(this.caUpdate());
    for (const l of this.identityListeners) l(this.identityUpdate());
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    // Deliver after grpc-js has registered its watcher: a synchronous update is lost.
    queueMicrotask(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }
  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }
  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  private caUpdate() {
    return { caCertificate: Buffer.from(this.caCertPem) };
  }
  private identityUpdate() {
    // The chain includes the CA so a joining agent can read it from the handshake and
    // check its pin before trusting anything (see agent join/fetch-ca).
    return { certificate: Buffer.from(withNewline(this.identity.certPem) + this.caCertPem), privateKey: Buffer.from(this.identity.keyPem) };
  }
}

/**
 * TLS credentials for the master's gRPC server. Client certificates are requested and,
 * when sent, verified against the CA during the handshake; they are not required there,
 * because a joining machine has none yet and must reach the join call. Every other call
 * must then check peerIdentity() and answer UNAUTHENTICATED without one.
 * (plain `ServerCredentials.createSsl(..., false)` would not even request a certificate.)
 */
export function serverCredentials(provider: StaticCertificateProvider): ServerCredentials {
  // grpc-js names the first two parameters in the opposite order in its typings and its
  // implementation; one provider serving both makes the order irrelevant.
  return experimental.createCertificateProviderServerCredentials(provider, provider, false);
}

/**
 * TLS credentials for a client: trusts only the cluster CA and presents `client` (a
 * node, master, admin or viewer certificate) when given.
 */
export function channelCredentials(caCertPem: string, client?: CertifiedKey): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(caCertPem),
    client ? Buffer.from(client.keyPem) : null,
    client ? Buffer.from(client.certPem) : null,
  );
}

/** What a grpc-js server call exposes about its peer. */
export interface CallWithAuthContext {
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null;
}

/**
 * The identity behind a server call. Throws CertificateIdentityError (UNAUTHENTICATED)
 * when the peer sent no certificate or one that names no Orchard identity.
 */
export function peerIdentity(call: CallWithAuthContext, opts?: IdentityCheckOptions): Identity {
  const peer = call.getAuthContext()?.sslPeerCertificate;
  return identityFromCert(peer?.raw ? { raw: peer.raw } : undefined, opts);
}
