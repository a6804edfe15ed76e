import { DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, Pod, Secret } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import { FakeRegistry, json } from './fake-registry';
import { parseImageReference } from './image-reference';
import { pullCredentialsFor } from './pull-credentials';
import { MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, fetchImagePlatforms, type RegistryCredentials } from './registry-client';

const HOST = 'registry.example:5000';
const BASE = `https://${HOST}/v2/team/app`;
const CONFIG = 'sha256:' + 'c'.repeat(64);

function lookup(reg: FakeRegistry, opts: { credentials?: RegistryCredentials; insecure?: boolean; image?: string } = {}) {
  return fetchImagePlatforms(parseImageReference(opts.image ?? `${HOST}/team/app:1`), {
    transport: reg.transport,
    insecure: opts.insecure ?? false,
    credentials: opts.credentials,
    signal: new AbortController().signal,
  });
}

const list = (mediaType: string) => ({
  schemaVersion: 2,
  mediaType,
  manifests: [
    { digest: 'sha256:1', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { digest: 'sha256:2', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { digest: 'sha256:3', platform: { os: 'unknown', architecture: 'unknown' } },
  ],
});

describe('fetchImagePlatforms', () => {
  const lists = [
    { name: 'Docker manifest list', mediaType: MEDIA_DOCKER_LIST },
    { name: 'OCI index', mediaType: MEDIA_OCI_INDEX },
  ];
  it.each(lists)('reads the platforms of a $name (attestations left out)', async ({ mediaType }) => {
    const reg = new FakeRegistry().on(`${BASE}/manifests/1`, () => json(200, list(mediaType), mediaType));
    expect(await lookup(reg)).toEqual(['linux/arm64/v8', 'linux/arm/v7']);
    expect(reg.requests[0]!.headers.accept).toContain(MEDIA_OCI_INDEX);
    expect(reg.requests[0]!.headers.accept).toContain(MEDIA_DOCKER_MANIFEST);
  });

  const singles = [
    { name: 'Docker v2 manifest', mediaType: MEDIA_DOCKER_MANIFEST, config: { os: 'linux', architecture: 'amd64' }, want: ['linux/amd64'] },
    { name: 'OCI manifest with a variant', mediaType: MEDIA_OCI_MANIFEST, config: { os: 'linux', architecture: 'arm', variant: 'v6' }, want: ['linux/arm/v6'] },
  ];
  it.each(singles)('reads the config blob of a $name', async ({ mediaType, config, want }) => {
    const reg = new FakeRegistry()
      .on(`${BASE}/manifests/1`, () => json(200, { schemaVersion: 2, mediaType, config: { digest: CONFIG }, layers: [] }, mediaType))
      .on(`${BASE}/blobs/${CONFIG}`, () => json(200, config, 'application/octet-stream'));
    expect(await lookup(reg)).toEqual(want);
  });

  it('speaks plain HTTP to an insecure registry and asks by digest', async () => {
    const digest = 'sha256:' + 'd'.repeat(64);
    const reg = new FakeRegistry().on(`http://${HOST}/v2/team/app/manifests/${digest}`, () => json(200, list(MEDIA_OCI_INDEX), MEDIA_OCI_INDEX));
    expect(await lookup(reg, { insecure: true, image: `${HOST}/team/app@${digest}` })).toEqual(['linux/arm64/v8', 'linux/arm/v7']);
  });

  it('answers a bearer challenge with a token from the realm (anonymous pull, Docker Hub defaults)', async () => {
    const hub = 'https://registry-1.docker.io/v2/library/nginx/manifests/latest';
    const reg = new FakeRegistry()
      .on(hub, (req) =>
        req.headers.authorization === 'Bearer t0k3n'
          ? json(200, list(MEDIA_DOCKER_LIST), MEDIA_DOCKER_LIST)
          : json(401, { errors: [{ code: 'UNAUTHORIZED' }] }, 'application/json', {
              'www-authenticate': 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
            }),
      )
      .on('https://auth.docker.io/token', () => json(200, { token: 't0k3n' }));
    expect(await lookup(reg, { image: 'nginx' })).toEqual(['linux/arm64/v8', 'linux/arm/v7']);
    const tokenUrl = new URL(reg.requests[1]!.url);
    expect(tokenUrl.searchParams.get('service')).toBe('registry.docker.io');
    expect(tokenUrl.searchParams.get('scope')).toBe('repository:library/nginx:pull');
    expect(reg.requests[1]!.headers.authorization).toBeUndefined();
  });

  it('sends the pull secret to the token realm as basic auth', async () => {
    const reg = new FakeRegistry()
      .on(`${BASE}/manifests/1`, (req) =>
        req.headers.authorization === 'Bearer private'
          ? json(200, list(MEDIA_OCI_INDEX), MEDIA_OCI_INDEX)
          : json(401, {}, 'application/json', { 'www-authenticate': `Bearer realm="https://${HOST}/auth",service="${HOST}"` }),
      )
      .on(`https://${HOST}/auth`, (req) =>
        req.headers.authorization === `Basic ${Buffer.from('me:pw').toString('base64')}` ? json(200, { access_token: 'private' }) : json(401, {}),
      );
    expect(await lookup(reg, { credentials: { username: 'me', password: 'pw' } })).toEqual(['linux/arm64/v8', 'linux/arm/v7']);
    expect(new URL(reg.requests[1]!.url).searchParams.get('scope')).toBe('repository:team/app:pull');
  });

  it('answers a basic challenge with the credentials of a dockerconfigjson pull secret', async () => {
    const secret = Secret.fromPartial({
      metadata: { name: 'regcred', namespace: 'apps' },
      type: DOCKER_CONFIG_JSON_TYPE,
      data: { [DOCKER_CONFIG_JSON_KEY]: Buffer.from(JSON.stringify({ auths: { [`http://${HOST}`]: { auth: Buffer.from('orchard:s3cret').toString('base64') } } })) },
    });
    const pod = Pod.fromPartial({ metadata: { name: 'p', namespace: 'apps' }, spec: { imagePullSecrets: [{ name: 'missing' }, { name: 'regcred' }] } });
    const credentials = pullCredentialsFor(pod, HOST, (ns, name) => (ns === 'apps' && name === 'regcred' ? secret : undefined));
    expect(credentials).toEqual({ username: 'orchard', password: 's3cret' });
    const expected = `Basic ${Buffer.from('orchard:s3cret').toString('base64')}`;
    const reg = new FakeRegistry()
      .on(`${BASE}/manifests/1`, (req) =>
        req.headers.authorization === expected
          ? json(200, { mediaType: MEDIA_DOCKER_MANIFEST, config: { digest: CONFIG } }, MEDIA_DOCKER_MANIFEST)
          : json(401, {}, 'application/json', { 'www-authenticate': 'Basic realm="Registry Realm"' }),
      )
      .on(`${BASE}/blobs/${CONFIG}`, (req) => (req.headers.authorization === expected ? json(200, { os: 'linux', architecture: 'arm64' }) : json(401, {})));
    expect(await lookup(reg, { credentials })).toEqual(['linux/arm64']);
  });

  const failures = [
    { name: 'unknown tag', route: () => json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }), error: /HTTP 404: MANIFEST_UNKNOWN manifest unknown/ },
    { name: 'basic challenge without credentials', route: () => json(401, {}, 'application/json', { 'www-authenticate': 'Basic realm="r"' }), error: /no imagePullSecret/ },
    { name: 'unreadable manifest', route: () => ({ status: 200, headers: {}, body: '<html>' }), error: /unreadable manifest/ },
  ];
  it.each(failures)('fails clearly on $name', async ({ route, error }) => {
    const reg = new FakeRegistry().on(`${BASE}/manifests/1`, route);
    await expect(lookup(reg)).rejects.toThrow(error);
  });
});
