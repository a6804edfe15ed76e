import { describe, expect, it } from 'vitest';
import { Pod, Taint, metaOf, wrapPod, type ApiObject } from '@orchard/api';
import { planDrain, unboundCopy } from './drain';
import { applyLabelChanges, splitLabelArgs } from './label';
import { applyTaintChanges, parseTaintArg } from './taint';

describe('parseTaintArg', () => {
  it.each([
    { name: 'key=value:Effect adds', arg: 'dedicated=db:NoSchedule', want: { key: 'dedicated', value: 'db', effect: 'NoSchedule', remove: false } },
    { name: 'key:Effect adds without value', arg: 'gpu:NoExecute', want: { key: 'gpu', value: '', effect: 'NoExecute', remove: false } },
    { name: 'key:Effect- removes one effect', arg: 'dedicated:NoSchedule-', want: { key: 'dedicated', value: '', effect: 'NoSchedule', remove: true } },
    { name: 'key- removes every effect', arg: 'dedicated-', want: { key: 'dedicated', value: '', effect: '', remove: true } },
  ])('$name', ({ arg, want }) => expect(parseTaintArg(arg)).toEqual(want));

  it.each([
    { name: 'an unknown effect', arg: 'k=v:Sometimes', error: 'invalid taint effect: Sometimes, unsupported taint effect' },
    { name: 'no effect on an add', arg: 'k=v', error: 'invalid taint spec: k=v' },
    { name: 'no key', arg: '=v:NoSchedule', error: 'invalid taint spec: =v:NoSchedule' },
  ])('refuses $name', ({ arg, error }) => expect(() => parseTaintArg(arg)).toThrow(error));
});

describe('applyTaintChanges', () => {
  const db = Taint.fromPartial({ key: 'dedicated', value: 'db', effect: 'NoSchedule' });
  const now = '2026-01-01T00:00:00Z';
  it.each([
    { name: 'adds', taints: [], arg: 'gpu=yes:NoSchedule', overwrite: false, word: 'tainted', keys: ['gpu=yes:NoSchedule'] },
    { name: 'removes by key', taints: [db], arg: 'dedicated-', overwrite: false, word: 'untainted', keys: [] },
    { name: 'overwrites with --overwrite', taints: [db], arg: 'dedicated=web:NoSchedule', overwrite: true, word: 'modified', keys: ['dedicated=web:NoSchedule'] },
    { name: 'keeps other effects of the key', taints: [db], arg: 'dedicated=db:NoExecute', overwrite: false, word: 'tainted', keys: ['dedicated=db:NoSchedule', 'dedicated=db:NoExecute'] },
  ])('$name', ({ taints, arg, overwrite, word, keys }) => {
    const r = applyTaintChanges('pi1', taints, [parseTaintArg(arg)], overwrite, now);
    expect(r.word).toBe(word);
    expect(r.taints.map((t) => `${t.key}=${t.value}:${t.effect}`.replace('=:', ':'))).toEqual(keys.map((k) => k.replace('=:', ':')));
  });

  it.each([
    { name: 'an existing key and effect without --overwrite', taints: [db], arg: 'dedicated=web:NoSchedule', error: 'node pi1 already has dedicated taint(s) with same effect(s) and --overwrite is false' },
    { name: 'removing a taint that is not there', taints: [], arg: 'dedicated:NoSchedule-', error: 'taint "dedicated:NoSchedule" not found' },
  ])('refuses $name', ({ taints, arg, error }) => {
    expect(() => applyTaintChanges('pi1', taints, [parseTaintArg(arg)], false, now)).toThrow(error);
  });
});

describe('label changes', () => {
  it('splits the resource from the changes', () => {
    expect(splitLabelArgs(['nodes', 'pi1', 'disk=ssd', 'old-'])).toEqual({ resource: ['nodes', 'pi1'], changes: { set: [['disk', 'ssd']], remove: ['old'] } });
    expect(() => splitLabelArgs(['nodes', 'pi1'])).toThrow('at least one label update is required');
  });

  it.each([
    { name: 'a new label', labels: {} as Record<string, string>, args: ['disk=ssd'], overwrite: false, word: 'labeled', want: { disk: 'ssd' } },
    { name: 'the same value again', labels: { disk: 'ssd' }, args: ['disk=ssd'], overwrite: false, word: 'not labeled', want: { disk: 'ssd' } },
    { name: 'a new value with --overwrite', labels: { disk: 'hdd' }, args: ['disk=ssd'], overwrite: true, word: 'labeled', want: { disk: 'ssd' } },
    { name: 'a removal', labels: { disk: 'hdd' }, args: ['disk-'], overwrite: false, word: 'unlabeled', want: {} },
  ])('$name', ({ labels, args, overwrite, word, want }) => {
    const l: Record<string, string> = { ...labels };
    expect(applyLabelChanges(l, splitLabelArgs(['nodes', 'pi1', ...args]).changes, overwrite, [])).toBe(word);
    expect(l).toEqual(want);
  });

  it("refuses a new value without --overwrite, in kubectl's words", () => {
    expect(() => applyLabelChanges({ disk: 'hdd' }, splitLabelArgs(['no', 'pi1', 'disk=ssd']).changes, false, [])).toThrow(
      "'disk' already has a value (hdd), and --overwrite is false",
    );
  });
});

function pod(name: string, owner?: string, extra: { deleting?: boolean; pinned?: boolean } = {}): ApiObject {
  return wrapPod(
    Pod.fromPartial({
      metadata: {
        name,
        namespace: 'default',
        uid: `uid-${name}`,
        resourceVersion: '9',
        deletionTimestamp: extra.deleting ? '2026-01-01T00:00:00Z' : '',
        annotations: extra.pinned ? { 'orchard.io/pinned-node': 'pi1', keep: 'me' } : {},
        ownerReferences: owner ? [{ kind: owner, name: 'x', uid: 'o1', controller: true }] : [],
      },
      spec: { nodeName: 'pi1', containers: [{ name: 'c', image: 'busybox' }] },
      status: { phase: 'Running' },
    }),
  );
}

describe('planDrain', () => {
  const pods = [pod('bare'), pod('rs', 'ReplicaSet'), pod('ds', 'DaemonSet'), pod('going', undefined, { deleting: true })];
  it.each([
    {
      name: 'refuses bare and DaemonSet pods without flags',
      opts: { force: false, ignoreDaemonsets: false },
      errors: ['cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds', 'cannot delete Pods that declare no controller (use --force to override): default/bare'],
    },
    { name: 'with --force and --ignore-daemonsets, warns instead', opts: { force: true, ignoreDaemonsets: true }, errors: [] },
  ])('$name', ({ opts, errors }) => {
    const r = planDrain(pods, opts);
    expect(r.errors).toEqual(errors);
    expect([...r.plans.entries()].map(([p, plan]) => `${metaOf(p).name}:${plan}`)).toEqual(['bare:reschedule', 'rs:delete', 'ds:skip', 'going:skip']);
    if (errors.length === 0) expect(r.warnings).toEqual(['ignoring DaemonSet-managed Pods: default/ds', 'deleting Pods that declare no controller: default/bare']);
  });
});

describe('unboundCopy', () => {
  it('keeps name, labels and spec; drops the binding, server fields, status and the pin', () => {
    const c = unboundCopy(pod('web', undefined, { pinned: true }));
    const m = metaOf(c);
    expect({ name: m.name, namespace: m.namespace, uid: m.uid, rv: m.resourceVersion, annotations: m.annotations }).toEqual({
      name: 'web',
      namespace: 'default',
      uid: '',
      rv: '',
      annotations: { keep: 'me' },
    });
    expect(c.resource?.$case === 'pod' && c.resource.pod.spec?.nodeName).toBe('');
    expect(c.resource?.$case === 'pod' && c.resource.pod.status).toBeUndefined();
  });
});
