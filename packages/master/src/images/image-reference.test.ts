import { describe, expect, it } from 'vitest';
import { normalizeRegistryKey, parseImageReference } from './image-reference';

describe('parseImageReference', () => {
  const cases = [
    { name: 'short name is a Docker Hub library image', image: 'nginx', want: { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/nginx', reference: 'latest' } },
    { name: 'user repository on Docker Hub', image: 'grafana/grafana:10.1', want: { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'grafana/grafana', reference: '10.1' } },
    { name: 'explicit docker.io keeps library/', image: 'docker.io/busybox:1.36', want: { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox', reference: '1.36' } },
    { name: 'registry with a port', image: '10.0.0.5:5000/team/app:2', want: { registry: '10.0.0.5:5000', apiHost: '10.0.0.5:5000', repository: 'team/app', reference: '2' } },
    { name: 'localhost registry', image: 'localhost/app', want: { registry: 'localhost', apiHost: 'localhost', repository: 'app', reference: 'latest' } },
    { name: 'digest wins over the tag', image: 'ghcr.io/o/app:1@sha256:' + 'a'.repeat(64), want: { registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'o/app', reference: 'sha256:' + 'a'.repeat(64) } },
  ];
  it.each(cases)('$name', ({ image, want }) => {
    expect(parseImageReference(image)).toEqual(want);
  });

  const bad = [
    { name: 'empty', image: '', error: /empty/ },
    { name: 'upper-case repository', image: 'Team/App', error: /invalid repository name/ },
    { name: 'bad tag', image: 'app:-x', error: /invalid tag/ },
    { name: 'bad digest', image: 'app@sha256:zz', error: /invalid digest/ },
  ];
  it.each(bad)('refuses $name', ({ image, error }) => {
    expect(() => parseImageReference(image)).toThrow(error);
  });

  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['http://10.0.0.5:5000', '10.0.0.5:5000'],
    ['Ghcr.IO', 'ghcr.io'],
  ])('normalizes the dockerconfigjson key %s', (key, want) => {
    expect(normalizeRegistryKey(key)).toBe(want);
  });
});
