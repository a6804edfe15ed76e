import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CertificateIdentityError } from './errors';
import { cryptoProvider } from './crypto-provider';

/**
 * Who a client certificate speaks for. The organization (O) carries the role, like
 * Kubernetes groups; the common name (CN) carries the user, node or master name.
 */
export type Role = 'admin' | 'viewer' | 'node' | 'master';

export interface Identity {
  readonly role: Role;
  /** The certificate's common name, e.g. "system:node:pi1" or "admin". */
  readonly commonName: string;
  /** For role "node": the node the certificate may act as. */
  readonly nodeName?: string;
  /** For role "master": the master's name. */
  readonly masterName?: string;
}

/** The organization of each role (the certificate subject's O). */
export const ROLE_ORGANIZATION: Readonly<Record<Role, string>> = {
  admin: 'orchard:admins',
  viewer: 'orchard:viewers',
  node: 'orchard:nodes',
  master: 'orchard:masters',
};

export const NODE_CN_PREFIX = 'system:node:';
export const MASTER_CN_PREFIX = 'system:master:';

/** The certificate subject a role and name must have. */
export interface Subject {
  readonly commonName: string;
  readonly organization: string;
}

/** Node and master names follow Kubernetes' DNS-1123 subdomain rule (they name Node objects). */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Users of admin and viewer certificates: a conservative name set that survives any log or config. */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Throws unless `name` is a valid node or master name; the message names the rule. */
export function checkMachineName(name: string, what = 'node name'): void {
  if (name.length === 0 || name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw new CertificateIdentityError(
      `invalid ${what} ${JSON.stringify(name)}: must be lowercase letters, digits, '-' and '.', ` +
        'start and end with a letter or digit, at most 253 characters',
    );
  }
}

/** The subject for a role and name, validating the name. */
export function subjectFor(role: Role, name: string): Subject {
  switch (role) {
    case 'node':
      checkMachineName(name, 'node name');
      return { commonName: NODE_CN_PREFIX + name, organization: ROLE_ORGANIZATION.node };
    case 'master':
      checkMachineName(name, 'master name');
      return { commonName: MASTER_CN_PREFIX + name, organization: ROLE_ORGANIZATION.master };
    case 'admin':
    case 'viewer':
      if (!USER_NAME.test(name)) {
        throw new CertificateIdentityError(
          `invalid user name ${JSON.stringify(name)}: use letters, digits, '.', '_', '@' and '-', at most 64 characters`,
        );
      }
      return { commonName: name, organization: ROLE_ORGANIZATION[role] };
  }
}

/** x509 JSON name for a subject (avoids string escaping of ':' and ','). */
export function toJsonName(subject: Subject): x509.JsonName {
  return [{ CN: [subject.commonName] }, { O: [subject.organization] }];
}

/** What grpc-js hands a server as the peer certificate (node:tls PeerCertificate); only `raw` is used. */
export interface PeerCertificateLike {
  readonly raw: Buffer;
}

export type CertificateInput = string | Buffer | NodeX509Certificate | PeerCertificateLike;

/** Normalizes PEM, DER, a Node X509Certificate or a TLS peer certificate to DER bytes. */
export function certificateDer(cert: CertificateInput): Buffer {
  if (typeof cert === 'string') {
    try {
      return new NodeX509Certificate(cert).raw;
    } catch (cause) {
      throw new CertificateIdentityError('certificate is not a valid PEM certificate', { cause });
    }
  }
  if (Buffer.isBuffer(cert)) return cert;
  if (cert instanceof NodeX509Certificate) return cert.raw;
  if (cert && Buffer.isBuffer((cert as PeerCertificateLike).raw)) return (cert as PeerCertificateLike).raw;
  throw new CertificateIdentityError('no client certificate signed by the cluster CA was presented');
}

export interface IdentityCheckOptions {
  /** If given, the certificate must have been issued by this CA and be valid at `now`. */
  readonly caCertPem?: string;
  readonly now?: number;
}

/**
 * The identity a certificate proves, for authorization. TLS has already verified the
 * chain when this is called with grpc-js' peer certificate; pass `caCertPem` to check it
 * again (defense in depth, or for certificates from elsewhere).
 *
 * Throws CertificateIdentityError (UNAUTHENTICATED) for anything that does not map to
 * exactly one role: several organizations, an unknown organization, or a node
 * certificate whose CN is not `system:node:<valid name>`.
 */
export function identityFromCert(cert: CertificateInput | undefined | null, opts: IdentityCheckOptions = {}): Identity {
  if (cert === undefined || cert === null) throw new CertificateIdentityError('no client certificate signed by the cluster CA was presented');
  const der = certificateDer(cert);
  let parsed: x509.X509Certificate;
  try {
    cryptoProvider();
    parsed = new x509.X509Certificate(der);
  } catch (cause) {
    throw new CertificateIdentityError('client certificate cannot be parsed', { cause });
  }
  if (opts.caCertPem !== undefined) checkIssuedBy(der, opts.caCertPem, opts.now ?? Date.now());

  const cns = parsed.subjectName.getField('CN');
  const orgs = parsed.subjectName.getField('O');
  if (cns.length !== 1) throw new CertificateIdentityError(`client certificate must have exactly one common name, has ${cns.length}`);
  if (orgs.length !== 1) {
    throw new CertificateIdentityError(`client certificate must have exactly one organization (its role), has ${orgs.length}`);
  }
  const commonName = cns[0]!;
  const role = (Object.keys(ROLE_ORGANIZATION) as Role[]).find((r) => ROLE_ORGANIZATION[r] === orgs[0]);
  if (!role) throw new CertificateIdentityError(`client certificate has unknown organization ${JSON.stringify(orgs[0])}`);

  if (role === 'node') {
    const nodeName = stripPrefix(commonName, NODE_CN_PREFIX, role);
    checkMachineName(nodeName);
    return { role, commonName, nodeName };
  }
  if (role === 'master') {
    const masterName = stripPrefix(commonName, MASTER_CN_PREFIX, role);
    checkMachineName(masterName, 'master name');
    return { role, commonName, masterName };
  }
  return { role, commonName };
}

function stripPrefix(commonName: string, prefix: string, role: Role): string {
  if (!commonName.startsWith(prefix)) {
    throw new CertificateIdentityError(`${role} certificate common name ${JSON.stringify(commonName)} must start with "${prefix}"`);
  }
  return commonName.slice(prefix.length);
}

function checkIssuedBy(der: Buffer, caCertPem: string, now: number): void {
  const cert = new NodeX509Certificate(der);
  const ca = new NodeX509Certificate(caCertPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new CertificateIdentityError(`client certificate "${cert.subject.replace(/\n/g, ', ')}" was not issued by this cluster's CA`);
  }
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
    throw new CertificateIdentityError(`client certificate is not valid now (valid ${cert.validFrom} to ${cert.validTo})`);
  }
}
