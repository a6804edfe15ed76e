import type { ApiObject } from '@orchard/api';
import type { Informer } from '../store/cache';

/**
 * The image names nodes report in status.images (images made on or loaded into a node,
 * with their platform): the scheduler already knows their platforms, so the registry is
 * not asked about them. Rebuilt lazily after a node changes.
 */
export class NodeImageIndex {
  private names: Set<string> | undefined;
  private readonly handler = {
    onAdd: () => (this.names = undefined),
    onUpdate: (old: ApiObject, o: ApiObject) => {
      if (imagesOf(old) !== imagesOf(o)) this.names = undefined;
    },
    onDelete: () => (this.names = undefined),
  };

  constructor(private readonly nodes: Pick<Informer, 'values' | 'addHandler' | 'removeHandler'>) {
    nodes.addHandler(this.handler);
  }

  /** True when some node reports an image by this name. */
  has(image: string): boolean {
    if (!this.names) {
      const names = new Set<string>();
      for (const o of this.nodes.values()) {
        if (o.resource?.$case !== 'node') continue;
        for (const img of o.resource.node.status?.images ?? []) if (img.platforms.length > 0) for (const n of img.names) names.add(n);
      }
      this.names = names;
    }
    return this.names.has(image);
  }

  close(): void {
    this.nodes.removeHandler(this.handler);
  }
}

/** The reported images of a node as one comparable string (objects are new on every update). */
function imagesOf(o: ApiObject): string {
  if (o.resource?.$case !== 'node') return '';
  return (o.resource.node.status?.images ?? []).map((i) => `${i.names.join(',')}=${i.platforms.join(',')}`).join(';');
}
