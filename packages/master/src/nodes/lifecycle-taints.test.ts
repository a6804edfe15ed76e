import { describe, expect, it } from 'vitest';
import { Node, type Taint } from '@orchard/api';
import { TAINT_NOT_READY, TAINT_UNREACHABLE, lifecycleTaintsFor } from './lifecycle-taints';

const NOW = Date.parse('2026-01-01T00:00:05Z');
const user: Partial<Taint> = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
const unreachable: Partial<Taint> = { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: '2026-01-01T00:00:01Z' };
const notReadyNoSchedule: Partial<Taint> = { key: TAINT_NOT_READY, effect: 'NoSchedule', timeAdded: '2026-01-01T00:00:02Z' };
const notReadyNoExecute: Partial<Taint> = { key: TAINT_NOT_READY, effect: 'NoExecute', timeAdded: '2026-01-01T00:00:02Z' };

function node(ready: string | undefined, taints: Partial<Taint>[]) {
  return Node.fromPartial({ metadata: { name: 'pi1' }, spec: { taints }, status: { conditions: ready ? [{ type: 'Ready', status: ready }] : [] } });
}

const keys = (t: Taint[] | undefined) => t?.map((x) => `${x.key}:${x.effect}@${x.timeAdded}`);

describe('lifecycleTaintsFor', () => {
  it.each([
    { name: 'silent node gains unreachable', ready: 'Unknown', taints: [user], want: ['dedicated:NoSchedule@', `${TAINT_UNREACHABLE}:NoExecute@2026-01-01T00:00:05Z`] },
    { name: 'not ready node gains not-ready NoSchedule and NoExecute', ready: 'False', taints: [], want: [`${TAINT_NOT_READY}:NoSchedule@2026-01-01T00:00:05Z`, `${TAINT_NOT_READY}:NoExecute@2026-01-01T00:00:05Z`] },
    { name: 'not ready node with both taints is unchanged', ready: 'False', taints: [notReadyNoSchedule, notReadyNoExecute], want: undefined },
    { name: 'not ready node missing its NoSchedule taint gains it, the NoExecute one keeps timeAdded', ready: 'False', taints: [user, notReadyNoExecute], want: ['dedicated:NoSchedule@', `${TAINT_NOT_READY}:NoSchedule@2026-01-01T00:00:05Z`, `${TAINT_NOT_READY}:NoExecute@2026-01-01T00:00:02Z`] },
    { name: 'ready again drops both not-ready taints, keeps the user one', ready: 'True', taints: [notReadyNoSchedule, user, notReadyNoExecute], want: ['dedicated:NoSchedule@'] },
    { name: 'silent after not ready swaps both for unreachable', ready: 'Unknown', taints: [notReadyNoSchedule, notReadyNoExecute], want: [`${TAINT_UNREACHABLE}:NoExecute@2026-01-01T00:00:05Z`] },
    { name: 'a user NoSchedule taint of another key is not the lifecycle\'s', ready: 'True', taints: [{ key: TAINT_UNREACHABLE, effect: 'NoSchedule' }], want: undefined },
    { name: 'tainted silent node is unchanged (keeps timeAdded)', ready: 'Unknown', taints: [unreachable], want: undefined },
    { name: 'ready node loses the taint, keeps the user one', ready: 'True', taints: [user, unreachable], want: ['dedicated:NoSchedule@'] },
    { name: 'ready node without lifecycle taints is unchanged', ready: 'True', taints: [user], want: undefined },
    { name: 'unknown turned false swaps the taint', ready: 'False', taints: [unreachable], want: [`${TAINT_NOT_READY}:NoSchedule@2026-01-01T00:00:05Z`, `${TAINT_NOT_READY}:NoExecute@2026-01-01T00:00:05Z`] },
    { name: 'node that never reported is left alone', ready: undefined, taints: [], want: undefined },
  ])('$name', ({ ready, taints, want }) => {
    expect(keys(lifecycleTaintsFor(node(ready, taints), NOW))).toEqual(want);
  });
});
