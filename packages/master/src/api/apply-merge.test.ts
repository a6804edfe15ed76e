import { describe, expect, it } from 'vitest';
import { ApiObject, ConflictError, InvalidError, Pod, metaOf, wrapPod, type Clock } from '@orchard/api';
import { PINNED_NODE_ANNOTATION } from '../nodes/pinned-pods';
import { mergeForApply } from './apply-merge';

const clock: Clock = { now: () => Date.UTC(2026, 0, 2, 3, 4, 5), setTimeout: () => ({ cancel: () => undefined }) };
const ids = { uuid: () => 'new-uid' };

function pod(p: { image?: string; nodeName?: string; labels?: Record<string, string>; uid?: string; rv?: string; generation?: number; phase?: string }): ApiObject {
  return wrapPod(
    Pod.fromPartial({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web',
        namespace: 'default',
        labels: p.labels ?? {},
        uid: p.uid ?? '',
        resourceVersion: p.rv ?? '',
        generation: p.generation ?? 0,
        creationTimestamp: p.uid ? '2025-01-01T00:00:00Z' : '',
      },
      spec: { containers: [{ name: 'c', image: p.image ?? 'one' }], nodeName: p.nodeName ?? '' },
      status: p.phase ? { phase: p.phase } : undefined,
    }),
  );
}

const stored = pod({ uid: 'u1', rv: '7', generation: 1, nodeName: 'pi1', phase: 'Running' });

describe('mergeForApply', () => {
  it.each([
    {
      name: 'a new object gets uid, creation time and generation 1; user status is dropped',
      stored: undefined,
      incoming: pod({ uid: 'user-set', phase: 'Running' }),
      action: 'created',
      check: (o: ApiObject) => {
        expect(metaOf(o)).toMatchObject({ uid: 'new-uid', creationTimestamp: '2026-01-02T03:04:05Z', generation: 1 });
        expect(o.resource?.$case === 'pod' && o.resource.pod.status).toBeFalsy();
      },
    },
    {
      name: 'the same manifest again (no nodeName) is unchanged and keeps the binding',
      stored,
      incoming: pod({}),
      action: 'unchanged',
      check: (o: ApiObject) => expect(o).toBe(stored),
    },
    {
      name: 'the same labels in another order are unchanged',
      stored: pod({ uid: 'u1', rv: '7', generation: 1, nodeName: 'pi1', labels: { a: '1', b: '2' } }),
      incoming: pod({ labels: { b: '2', a: '1' } }),
      action: 'unchanged',
      check: (o: ApiObject) => expect(metaOf(o).labels).toEqual({ a: '1', b: '2' }),
    },
    {
      name: 'a label change is configured without a new generation',
      stored,
      incoming: pod({ labels: { app: 'web' } }),
      action: 'configured',
      check: (o: ApiObject) => expect(metaOf(o)).toMatchObject({ uid: 'u1', resourceVersion: '7', generation: 1, labels: { app: 'web' } }),
    },
    {
      name: 'a spec change bumps the generation and keeps status and server fields',
      stored,
      incoming: pod({ image: 'two' }),
      action: 'configured',
      check: (o: ApiObject) => {
        expect(metaOf(o)).toMatchObject({ uid: 'u1', resourceVersion: '7', generation: 2, creationTimestamp: '2025-01-01T00:00:00Z' });
        expect(o.resource?.$case === 'pod' && o.resource.pod.status?.phase).toBe('Running');
        expect(o.resource?.$case === 'pod' && o.resource.pod.spec?.nodeName).toBe('pi1');
      },
    },
  ])('$name', ({ stored: s, incoming, action, check }) => {
    const r = mergeForApply(s, incoming, ids, clock);
    expect(r.action).toBe(action);
    check(r.object);
  });

  it('refuses to move a bound pod to another node', () => {
    expect(() => mergeForApply(stored, pod({ nodeName: 'pi2' }), ids, clock)).toThrow(InvalidError);
    expect(() => mergeForApply(stored, pod({ nodeName: 'pi2' }), ids, clock)).toThrow(/spec\.nodeName: Forbidden/);
  });

  it('refuses an object carrying an older resourceVersion than the stored one', () => {
    expect(() => mergeForApply(stored, pod({ rv: '6', labels: { a: '1' } }), ids, clock)).toThrow(ConflictError);
    expect(mergeForApply(stored, pod({ rv: '7', labels: { a: '1' } }), ids, clock).action).toBe('configured');
  });

  it('marks a pod created with a nodeName as pinned to it, and keeps the mark on re-apply', () => {
    const created = mergeForApply(undefined, pod({ nodeName: 'pi2' }), ids, clock).object;
    expect(metaOf(created).annotations[PINNED_NODE_ANNOTATION]).toBe('pi2');
    expect(metaOf(mergeForApply(undefined, pod({}), ids, clock).object).annotations[PINNED_NODE_ANNOTATION]).toBeUndefined();
    const reapplied = mergeForApply({ ...created, resource: created.resource }, pod({ nodeName: 'pi2', labels: { a: '1' } }), ids, clock).object;
    expect(metaOf(reapplied).annotations[PINNED_NODE_ANNOTATION]).toBe('pi2');
  });
});
