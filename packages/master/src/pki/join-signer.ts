import * as x509 from '@peculiar/x509';
import { peerAddress } from '../tokens/join-guard';
import { TokenError } from '../tokens/errors';
import type { JoinRateLimiter } from '../tokens/rate-limiter';
import { redeemToken } from '../tokens/redeem';
import type { JoinUsage } from '../tokens/token-record';
import type { TokenStore } from '../tokens/token-store';
import { validateToken } from '../tokens/validate';
import { parseToken } from '../tokens/token-format';
import { YEAR_MS, type CertifiedKey } from './certified-key';
import { cryptoProvider } from './crypto-provider';
import { joinGrant, NODE_CERT_TTL_MS, signCsr } from './csr-signing';
import { CsrRefusedError, NameTakenError } from './errors';
import { checkMachineName, MASTER_CN_PREFIX, NODE_CN_PREFIX, type Identity } from './identity';

/** A join call as the master receives it (before the caller has a certificate). */
export interface JoinRequest {
  /** grpc-js call.getPeer(), e.g. "ipv4:192.168.1.21:50412": the rate limit is per address. */
  readonly peer: string;
  readonly token: string;
  readonly csrPem: string;
  readonly usage: JoinUsage;
  readonly now: number;
  /** For a joining master: names and addresses for its serving certificate. */
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
}

export interface JoinSignerDeps {
  readonly ca: CertifiedKey;
  readonly tokens: TokenStore;
  readonly limiter: JoinRateLimiter;
  /**
   * True if a Node (or master) of that name exists. A token may not take over an existing
   * name: that would let any token holder impersonate a running node.
   */
  readonly nameTaken: (usage: JoinUsage, name: string) => Promise<boolean>;
  readonly random?: (size: number) => Uint8Array;
  /** Lifetime of node certificates (orchard-master --node-cert-validity); default NODE_CERT_TTL_MS. */
  readonly nodeCertTtlMs?: number;
}

export interface JoinResult {
  readonly name: string;
  readonly certPem: string;
  readonly caPem: string;
}

/** The name a join CSR asks for (`system:node:<name>` or `system:master:<name>`), without trusting it yet. */
export function requestedName(csrPem: string, usage: JoinUsage): string {
  cryptoProvider();
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (cause) {
    throw new CsrRefusedError('certificate signing request is not a valid PEM PKCS#10 request', { cause });
  }
  const prefix = usage === 'node' ? NODE_CN_PREFIX : MASTER_CN_PREFIX;
  const cn = csr.subjectName.getField('CN');
  if (cn.length !== 1 || !cn[0]!.startsWith(prefix)) {
    throw new CsrRefusedError(`certificate signing request must ask for "${prefix}<name>", asks for "${cn.join('+') || '(no CN)'}"`);
  }
  const name = cn[0]!.slice(prefix.length);
  try {
    checkMachineName(name, `${usage} name`);
  } catch (cause) {
    throw new CsrRefusedError(`certificate signing request: ${(cause as Error).message}`, { cause });
  }
  return name;
}

/**
 * The master's side of a join, in the order that leaks least and wastes nothing:
 * rate limit → token check (without using it up) → name not taken → CSR verified and
 * signed for exactly the granted identity → one use of the token consumed atomically.
 * A refused token counts against the caller's address; a success clears it.
 * Throws TooManyAttemptsError, a TokenError, CsrRefusedError or NameTakenError (ALREADY_EXISTS).
 */
export async function signJoinRequest(deps: JoinSignerDeps, req: JoinRequest): Promise<JoinResult> {
  const address = peerAddress(req.peer);
  deps.limiter.check(address);
  try {
    const { id } = parseToken(req.token);
    validateToken(req.token, (await deps.tokens.get(id))?.record, req.now, req.usage);
  } catch (err) {
    if (err instanceof TokenError) deps.limiter.recordFailure(address);
    throw err;
  }
  const name = requestedName(req.csrPem, req.usage);
  const grant =
    req.usage === 'node'
      ? joinGrant('node', name, deps.nodeCertTtlMs ?? NODE_CERT_TTL_MS)
      : { ...joinGrant('master', name, YEAR_MS), dnsNames: req.dnsNames, ips: req.ips };
  if (await deps.nameTaken(req.usage, name)) throw new NameTakenError(req.usage, name);
  const certPem = await signCsr(deps.ca, req.csrPem, grant, { now: req.now, random: deps.random });
  try {
    // Consumes one use; re-validates, so a token used up by a concurrent join is refused here.
    await redeemToken(deps.tokens, req.token, req.usage, req.now);
  } catch (err) {
    if (err instanceof TokenError) deps.limiter.recordFailure(address);
    throw err;
  }
  deps.limiter.recordSuccess(address);
  return { name, certPem, caPem: deps.ca.certPem };
}

/**
 * Signs a renewal CSR sent over an authenticated connection: a node may renew only its
 * own identity (the one its current certificate proves).
 */
export async function renewNodeCertificate(
  ca: CertifiedKey,
  caller: Identity,
  csrPem: string,
  opts: { now?: number; random?: (size: number) => Uint8Array; ttlMs?: number } = {},
): Promise<string> {
  if (caller.role !== 'node' || !caller.nodeName) {
    throw new CsrRefusedError(`only nodes renew certificates this way; the caller is ${caller.role} "${caller.commonName}"`);
  }
  return signCsr(ca, csrPem, joinGrant('node', caller.nodeName, opts.ttlMs ?? NODE_CERT_TTL_MS), opts);
}
