import { credentials, type ChannelCredentials } from '@grpc/grpc-js';

/**
 * The credentials of the node stream. The one place that decides them: plaintext for
 * now; mutual TLS with the node certificate from the join flow replaces this function's
 * body.
 */
export function nodeChannelCredentials(): ChannelCredentials {
  return credentials.createInsecure();
}
