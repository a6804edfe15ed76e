import type { ContainerImage } from '@orchard/api/agent';

/** One local image as the engine lists and inspects it (the fields this module reads). */
export interface LocalImage {
  readonly repoTags: readonly string[];
  /** Empty for images built, imported or loaded here; set for images pulled from a registry. */
  readonly repoDigests: readonly string[];
  readonly os: string;
  readonly architecture: string;
  readonly variant: string;
}

/** The engine's local images (narrow seam over dockerode's listImages + inspect). */
export type LocalImageSource = () => Promise<readonly LocalImage[]>;

/**
 * The images to report in NodeStatus.images, with the one platform each was made for.
 *
 * Only images that exist nowhere but on nodes (built, imported or `docker load`ed: no repo
 * digest) are reported. A pulled image holds just the platform this node pulled of what may
 * be a multi-platform manifest list; reporting it would keep pods off nodes of the other
 * architectures that the registry serves perfectly well. A locally made image is exactly one
 * platform, and a pod using it on another architecture fails with "exec format error": that
 * is what the scheduler's NodeArchitecture filter must know about.
 */
export function reportedImages(images: readonly LocalImage[]): ContainerImage[] {
  const out: ContainerImage[] = [];
  for (const img of images) {
    const names = img.repoTags.filter((t) => t && t !== '<none>:<none>');
    if (names.length === 0 || img.repoDigests.length > 0 || !img.architecture) continue;
    const platform = [img.os || 'linux', img.architecture, ...(img.variant ? [img.variant] : [])].join('/');
    out.push({ names, sizeBytes: 0, platforms: [platform] });
  }
  return out;
}

/** Minimal dockerode surface used below (kept narrow so tests need no engine). */
interface DockerLike {
  listImages(): Promise<Array<{ Id: string; RepoTags?: string[] | null; RepoDigests?: string[] | null }>>;
  getImage(id: string): { inspect(): Promise<{ Os?: string; Architecture?: string; Variant?: string }> };
}

/** Lists the engine's tagged images and inspects those made locally for their platform. */
export function dockerLocalImages(docker: DockerLike): LocalImageSource {
  return async () => {
    const listed = await docker.listImages();
    const out: LocalImage[] = [];
    for (const img of listed) {
      const repoTags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
      const repoDigests = img.RepoDigests ?? [];
      // Pulled or untagged images are not reported (see reportedImages): skip the inspect.
      if (repoTags.length === 0 || repoDigests.length > 0) continue;
      const info = await docker.getImage(img.Id).inspect();
      out.push({ repoTags, repoDigests, os: info.Os ?? '', architecture: info.Architecture ?? '', variant: info.Variant ?? '' });
    }
    return out;
  };
}
