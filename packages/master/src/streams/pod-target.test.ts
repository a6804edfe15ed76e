import { BadRequestError, NotFoundError, wrapPod, type ApiObject } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import { PodNotScheduledError, resolvePodTarget } from './pod-target';

function pod(nodeName: string, containers: string[], inits: string[] = []): ApiObject {
  return wrapPod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { nodeName, containers: containers.map((name) => ({ name, image: 'busybox' })), initContainers: inits.map((name) => ({ name, image: 'busybox' })) },
  } as never);
}

describe('resolvePodTarget', () => {
  const cases: Array<{ name: string; obj: ApiObject | undefined; container: string; want?: { node: string; container: string }; error?: [new (...a: never[]) => Error, string] }> = [
    { name: 'the only container by default', obj: pod('pi1', ['app']), container: '', want: { node: 'pi1', container: 'app' } },
    { name: 'a named container', obj: pod('pi2', ['a', 'b']), container: 'b', want: { node: 'pi2', container: 'b' } },
    { name: 'an init container', obj: pod('pi2', ['a'], ['setup']), container: 'setup', want: { node: 'pi2', container: 'setup' } },
    { name: 'a missing pod', obj: undefined, container: '', error: [NotFoundError, 'pods "web" not found'] },
    { name: 'an unscheduled pod', obj: pod('', ['a']), container: '', error: [PodNotScheduledError, 'pod web has no node yet'] },
    { name: 'several containers, none named', obj: pod('pi1', ['a', 'b']), container: '', error: [BadRequestError, 'a container name must be specified for pod web, choose one of: [a b]'] },
    { name: 'a container of another pod', obj: pod('pi1', ['a', 'b']), container: 'ghost', error: [BadRequestError, 'container ghost is not valid for pod web'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.error) {
        expect(() => resolvePodTarget(c.obj, 'default', 'web', c.container)).toThrow(c.error[0]);
        expect(() => resolvePodTarget(c.obj, 'default', 'web', c.container)).toThrow(c.error[1]);
      } else {
        expect(resolvePodTarget(c.obj, 'default', 'web', c.container)).toEqual({ namespace: 'default', pod: 'web', ...c.want });
      }
    });
  }
});
