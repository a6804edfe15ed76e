import { describe, expect, it } from 'vitest';
import { Node, type Taint } from '@orchard/api';
import { TAINT_NOT_READY, TAINT_UNREACHABLE, lifecycleTaintsFor } from './lifecycle-taints';

const NOW = Date.parse('2026-01-01T00:00:05Z');
const user: Partial<Taint> = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
const unreachable: Partial<Taint> = { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: '2026-01-01T00:00:01Z' };

function node(ready: string | undefined, taints: Partial<Taint>[]) {
  return Node.fromPartial({ metadata: { name: 'pi1' }, spec: { taints }, status: { conditions: ready ? [{ type: 'Ready', status: ready }] : [] } });
}

const keys = (t: Taint[] | undefined) => t?.map((x) => `${x.key}:${x.effect}@${x.timeAdded}`);

describe('lifecycleTaintsFor', () => {
  it.each([
    { name: 'silent node gains unreachable', ready: 'Unknown', taints: [user], want: ['dedicated:NoSchedule@', `${TAINT_UNREACHABLE}:NoExecute@2026-01-01T00:00:05Z`] },
    { name: 'not ready node gains not-ready', ready: 'False', taints: [], want: [`${TAINT_NOT_READY}:NoExecute@2026-01-01T00:00:05Z`] },
    { name: 'tainted silent node is unchanged (keeps timeAdded)', ready: 'Unknown', taints: [unreachable], want: undefined },
    { name: 'ready node loses the taint, keeps the user one', ready: 'True', taints: [user, unreachable], want: ['dedicated:NoSchedule@'] },
    { name: 'ready node without lifecycle taints is unchanged', ready: 'True', taints: [user], want: undefined },
    { name: 'unknown turned false swaps the taint', ready: 'False', taints: [unreachable], want: [`${TAINT_NOT_READY}:NoExecute@2026-01-01T00:00:05Z`] },
    { name: 'node that never reported is left alone', ready: undefined, taints: [], want: undefined },
  ])('$name', ({ ready, taints, want }) => {
    expect(keys(lifecycleTaintsFor(node(ready, taints), NOW))).toEqual(want);
  });
});
