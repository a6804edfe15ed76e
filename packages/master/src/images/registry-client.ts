import { parseChallenge } from './auth-challenge';
import type { HttpResponse, HttpTransport } from './http-transport';
import type { ImageReference } from './image-reference';

/** Username and password for one registry (from a dockerconfigjson pull Secret). */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export const MEDIA_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MEDIA_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MEDIA_DOCKER_MANIFEST_V1 = 'application/vnd.docker.distribution.manifest.v1+json';
const MEDIA_DOCKER_MANIFEST_V1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
/** What the client accepts, preferred first: a list answers for every platform at once. */
const ACCEPT = [MEDIA_DOCKER_LIST, MEDIA_OCI_INDEX, MEDIA_DOCKER_MANIFEST, MEDIA_OCI_MANIFEST].join(', ');

export interface RegistryClientOptions {
  readonly transport: HttpTransport;
  /** Talk plain HTTP to this registry (it is listed in --insecure-registry). */
  readonly insecure: boolean;
  readonly credentials?: RegistryCredentials;
  /** Aborts every request of the lookup (its timeout). */
  readonly signal: AbortSignal;
}

interface ManifestJson {
  mediaType?: string;
  manifests?: Array<{ platform?: { os?: string; architecture?: string; variant?: string } }>;
  config?: { digest?: string };
  architecture?: string;
}

/**
 * Asks an image's registry (Docker Registry HTTP API v2) which platforms the image
 * provides: "os/architecture[/variant]" each. A manifest list or OCI index names them; a
 * single manifest names its one platform in its config blob. Answers registry auth
 * challenges (a bearer token from the realm, or basic auth) with the given credentials,
 * or anonymously without them. Throws, with the reference in the message, on anything else.
 */
export async function fetchImagePlatforms(ref: ImageReference, opts: RegistryClientOptions): Promise<string[]> {
  const session = new RegistrySession(ref, opts);
  const manifest = await session.get(`/manifests/${ref.reference}`, ACCEPT);
  const parsed = parseJson<ManifestJson>(manifest.body, 'manifest');
  const mediaType = (manifest.headers['content-type'] ?? '').split(';')[0]!.trim() || parsed.mediaType || '';
  if (mediaType === MEDIA_DOCKER_LIST || mediaType === MEDIA_OCI_INDEX || (!mediaType && parsed.manifests)) {
    const out: string[] = [];
    for (const m of parsed.manifests ?? []) {
      const p = m.platform;
      // buildx lists attestations as "unknown/unknown": they run nowhere.
      if (!p?.os || !p.architecture || p.os === 'unknown' || p.architecture === 'unknown') continue;
      const platform = [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');
      if (!out.includes(platform)) out.push(platform);
    }
    return out;
  }
  if (mediaType === MEDIA_DOCKER_MANIFEST_V1 || mediaType === MEDIA_DOCKER_MANIFEST_V1_SIGNED) {
    // Schema 1 (old registries): the architecture is in the manifest itself, Linux implied.
    return parsed.architecture ? [`linux/${parsed.architecture}`] : [];
  }
  const digest = parsed.config?.digest;
  if (!digest) throw new Error(`manifest of ${describe(ref)} (${mediaType || 'no media type'}) names no config blob`);
  const config = await session.get(`/blobs/${digest}`, '*/*');
  const c = parseJson<{ os?: string; architecture?: string; variant?: string }>(config.body, 'image config');
  if (!c.architecture) return [];
  return [[c.os || 'linux', c.architecture, ...(c.variant ? [c.variant] : [])].join('/')];
}

/** Requests to one repository, carrying the authorization its first challenge called for. */
class RegistrySession {
  private authorization: string | undefined;

  constructor(
    private readonly ref: ImageReference,
    private readonly opts: RegistryClientOptions,
  ) {}

  async get(path: string, accept: string): Promise<HttpResponse> {
    const url = `${this.opts.insecure ? 'http' : 'https'}://${this.ref.apiHost}/v2/${this.ref.repository}${path}`;
    let res = await this.send(url, accept);
    if (res.status === 401 && !this.authorization) {
      this.authorization = await this.answerChallenge(res.headers['www-authenticate']);
      res = await this.send(url, accept);
    }
    if (res.status !== 200) {
      throw new Error(`GET ${url}: HTTP ${res.status}${registryMessage(res.body)}`);
    }
    return res;
  }

  private send(url: string, accept: string): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept };
    if (this.authorization) headers.authorization = this.authorization;
    return this.opts.transport({ url, headers, signal: this.opts.signal });
  }

  /** The Authorization header that answers a 401's challenge. */
  private async answerChallenge(header: string | undefined): Promise<string> {
    const challenge = parseChallenge(header);
    const creds = this.opts.credentials;
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    if (challenge?.scheme === 'basic') {
      if (!basic) throw new Error(`registry ${this.ref.registry} asks for credentials and the pod has no imagePullSecret for it`);
      return basic;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new Error(`registry ${this.ref.registry} answered 401 with an unsupported challenge "${header ?? ''}"`);
    }
    const { realm, service, scope } = challenge.params;
    const tokenUrl = new URL(realm);
    if (service) tokenUrl.searchParams.set('service', service);
    tokenUrl.searchParams.set('scope', scope ?? `repository:${this.ref.repository}:pull`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (basic) headers.authorization = basic;
    const res = await this.opts.transport({ url: tokenUrl.toString(), headers, signal: this.opts.signal });
    if (res.status !== 200) throw new Error(`token request to ${tokenUrl.origin}${tokenUrl.pathname}: HTTP ${res.status}${registryMessage(res.body)}`);
    const body = parseJson<{ token?: string; access_token?: string }>(res.body, 'token response');
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`token response of ${tokenUrl.origin}${tokenUrl.pathname} holds no token`);
    return `Bearer ${token}`;
  }
}

function parseJson<T>(text: string, what: string): T {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null) throw new Error('not an object');
    return v as T;
  } catch (err) {
    throw new Error(`registry sent an unreadable ${what}: ${(err as Error).message}`);
  }
}

/** ": MANIFEST_UNKNOWN manifest unknown" from a registry's JSON error body, if it has one. */
function registryMessage(body: string): string {
  try {
    const e = (JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
    if (e) return `: ${[e.code, e.message].filter(Boolean).join(' ')}`;
  } catch {
    // Not JSON (a proxy's HTML page): the status says enough.
  }
  return '';
}

function describe(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.reference.includes(':') ? '@' : ':'}${ref.reference}`;
}
