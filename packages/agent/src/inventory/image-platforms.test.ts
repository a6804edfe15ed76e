import { describe, expect, it } from 'vitest';
import { dockerLocalImages, reportedImages, type LocalImage } from './image-platforms';

const local = (over: Partial<LocalImage>): LocalImage => ({ repoTags: ['app:1'], repoDigests: [], os: 'linux', architecture: 'arm64', variant: '', ...over });

describe('reportedImages', () => {
  const cases: Array<{ name: string; images: LocalImage[]; want: Array<{ names: string[]; platforms: string[] }> }> = [
    { name: 'a loaded image with its one platform', images: [local({})], want: [{ names: ['app:1'], platforms: ['linux/arm64'] }] },
    { name: 'the ARM variant is kept', images: [local({ architecture: 'arm', variant: 'v7' })], want: [{ names: ['app:1'], platforms: ['linux/arm/v7'] }] },
    { name: 'every tag of an image', images: [local({ repoTags: ['app:1', 'app:latest'] })], want: [{ names: ['app:1', 'app:latest'], platforms: ['linux/arm64'] }] },
    { name: 'a pulled image (may be multi-platform in its registry) is left out', images: [local({ repoDigests: ['app@sha256:ab'] })], want: [] },
    { name: 'an untagged image is left out', images: [local({ repoTags: ['<none>:<none>'] })], want: [] },
    { name: 'an image without an architecture is left out', images: [local({ architecture: '' })], want: [] },
    { name: 'a missing os is linux', images: [local({ os: '' })], want: [{ names: ['app:1'], platforms: ['linux/arm64'] }] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(reportedImages(c.images).map((i) => ({ names: i.names, platforms: i.platforms }))).toEqual(c.want);
    });
  }
});

describe('dockerLocalImages', () => {
  it('inspects only tagged images without a repo digest', async () => {
    const inspected: string[] = [];
    const docker = {
      listImages: async () => [
        { Id: 'sha256:a', RepoTags: ['built:1'], RepoDigests: [] },
        { Id: 'sha256:b', RepoTags: ['nginx:1'], RepoDigests: ['nginx@sha256:ff'] },
        { Id: 'sha256:c', RepoTags: null, RepoDigests: null },
      ],
      getImage: (id: string) => ({
        inspect: async () => {
          inspected.push(id);
          return { Os: 'linux', Architecture: 'arm', Variant: 'v6' };
        },
      }),
    };
    const images = await dockerLocalImages(docker)();
    expect(inspected).toEqual(['sha256:a']);
    expect(images).toEqual([{ repoTags: ['built:1'], repoDigests: [], os: 'linux', architecture: 'arm', variant: 'v6' }]);
  });
});
