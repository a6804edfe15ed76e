import { X509Certificate } from 'node:crypto';
import { caPin, parseCaPin } from './ca-pin';
import { CaPinMismatchError, JoinError } from './errors';

/** Where the CA comes from before it is trusted: a PEM in hand, or a fetch (see fetchCaFromServer). */
export type CaSource = string | (() => Promise<string>);

/**
 * Obtains the cluster CA and trusts it only if its public-key hash equals `expectedPin`.
 * Also checks it is a self-signed CA certificate. Throws CaPinMismatchError (naming both
 * hashes) or JoinError; nothing is written either way.
 */
export async function fetchAndPinCA(source: CaSource, expectedPin: string): Promise<string> {
  const expected = parseCaPin(expectedPin);
  let caPem: string;
  try {
    caPem = typeof source === 'string' ? source : await source();
  } catch (cause) {
    throw new JoinError(`failed to fetch the cluster CA: ${(cause as Error).message}`, { cause });
  }
  const actual = caPin(caPem);
  if (actual !== expected) throw new CaPinMismatchError(expected, actual);
  const cert = new X509Certificate(caPem);
  if (!cert.ca || !cert.checkIssued(cert) || !cert.verify(cert.publicKey)) {
    throw new JoinError('the pinned certificate is not a self-signed CA certificate');
  }
  return cert.toString();
}
