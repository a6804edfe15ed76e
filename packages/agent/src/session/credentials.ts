import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { Credentials } from '../join/credentials';

/**
 * The credentials of the node stream: mutual TLS that trusts only the cluster CA and
 * proves the node with the certificate it received when it joined.
 */
export function nodeChannelCredentials(creds: Credentials): ChannelCredentials {
  return credentials.createSsl(Buffer.from(creds.caPem), Buffer.from(creds.keyPem), Buffer.from(creds.certPem));
}

/**
 * The node's current TLS credentials, swapped when the certificate is renewed: channels
 * opened afterwards use the new certificate (see grpcStreamFactory).
 */
export class CredentialsHolder {
  private current: ChannelCredentials;
  constructor(private creds: Credentials) {
    this.current = nodeChannelCredentials(creds);
  }
  get(): ChannelCredentials {
    return this.current;
  }
  get credentials(): Credentials {
    return this.creds;
  }
  set(creds: Credentials): void {
    this.creds = creds;
    this.current = nodeChannelCredentials(creds);
  }
}
