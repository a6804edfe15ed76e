import path from 'node:path';
import type { Container, Pod } from '@orchard/api/agent';
import type { MountSpec } from '../runtime/container-runtime';
import { LABEL_NODE, LABEL_POD_UID } from './container-labels';
import { ContainerConfigError } from './container-config-error';
import type { ProjectedVolume } from './config-files';

/** Label naming the pod volume a Docker volume holds. */
export const LABEL_VOLUME_NAME = 'io.orchard.volume.name';

/** The Docker volume of a pod's emptyDir: one per pod and volume, removed with the pod. */
export function emptyDirVolumeName(pod: Pod, volume: string): string {
  return `orchard_${pod.metadata!.uid}_${volume}`;
}

/**
 * The mounts of one container: emptyDir as a Docker volume of the pod (on tmpfs for
 * medium Memory), shared by its containers and removed with it; hostPath as a bind
 * (a missing directory is created); persistentVolumeClaim as the named Docker volume of
 * that name, kept after the pod; configMap and secret volumes as a read-only bind of
 * the directory they are projected into (a subPath binds one file, which, as in
 * Kubernetes, does not follow later updates).
 * @throws ContainerConfigError naming the mount Docker cannot honour.
 */
export function containerMounts(
  pod: Pod,
  container: Container,
  nodeName: string,
  field: (f: string) => string,
  projected?: ReadonlyMap<string, ProjectedVolume>,
): MountSpec[] {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  return container.volumeMounts.map((m, i) => {
    const where = field(`volumeMounts[${i}]`);
    const v = volumes.get(m.name);
    if (!v) throw new ContainerConfigError(`${where}.name: volume "${m.name}" is not defined in spec.volumes`);
    if (!m.mountPath.startsWith('/')) throw new ContainerConfigError(`${where}.mountPath: must be an absolute path`);
    if (m.subPath && (path.isAbsolute(m.subPath) || m.subPath.split('/').includes('..'))) {
      throw new ContainerConfigError(`${where}.subPath: must be a relative path without ".."`);
    }
    if (v.hostPath) {
      return { type: 'bind', source: path.join(v.hostPath.path, m.subPath), target: m.mountPath, readOnly: m.readOnly };
    }
    if (v.emptyDir || v.persistentVolumeClaim) {
      if (m.subPath) throw new ContainerConfigError(`${where}.subPath: not supported on ${v.emptyDir ? 'emptyDir' : 'persistentVolumeClaim'} volumes by this agent yet`);
      if (v.persistentVolumeClaim) {
        return { type: 'volume', source: v.persistentVolumeClaim.claimName, target: m.mountPath, readOnly: m.readOnly || v.persistentVolumeClaim.readOnly };
      }
      return {
        type: 'volume',
        source: emptyDirVolumeName(pod, v.name),
        target: m.mountPath,
        readOnly: m.readOnly,
        labels: { [LABEL_POD_UID]: pod.metadata!.uid, [LABEL_NODE]: nodeName, [LABEL_VOLUME_NAME]: v.name },
        tmpfs: v.emptyDir!.medium === 'Memory',
      };
    }
    if (v.configMap || v.secret) {
      const p = projected?.get(v.name);
      if (!p) throw new ContainerConfigError(`${where}: volume "${v.name}" has not been set up`);
      if (p.error) throw new ContainerConfigError(p.error);
      if (m.subPath && !p.paths.has(path.posix.normalize(m.subPath))) {
        throw new ContainerConfigError(`${where}.subPath: "${m.subPath}" is not a file of volume "${v.name}"`);
      }
      // Kubernetes mounts these read-only whatever the mount says.
      return { type: 'bind', source: m.subPath ? path.join(p.dir, m.subPath) : p.dir, target: m.mountPath, readOnly: true };
    }
    throw new ContainerConfigError(`${where}: this kind of volume ("${v.name}") is not supported by this agent yet`);
  });
}
