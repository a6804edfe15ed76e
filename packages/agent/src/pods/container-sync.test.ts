import { describe, expect, it } from 'vitest';
import type { ContainerDetails } from '../runtime/container-runtime';
import { shouldRestart } from './container-sync';

const exited = (exitCode: number, over: Partial<ContainerDetails> = {}): ContainerDetails => ({
  id: 'c',
  name: 'c',
  image: 'i',
  imageId: '',
  labels: {},
  state: 'exited',
  createdAt: '',
  startedAt: '',
  finishedAt: '',
  exitCode,
  oomKilled: false,
  error: '',
  ipAddress: '',
  ...over,
});

describe('shouldRestart', () => {
  it.each([
    { name: 'Always, success', policy: 'Always', c: exited(0), want: true },
    { name: 'Always, failure', policy: 'Always', c: exited(1), want: true },
    { name: 'default is Always', policy: '', c: exited(0), want: true },
    { name: 'OnFailure, success', policy: 'OnFailure', c: exited(0), want: false },
    { name: 'OnFailure, failure', policy: 'OnFailure', c: exited(2), want: true },
    { name: 'OnFailure, OOM killed', policy: 'OnFailure', c: exited(0, { oomKilled: true }), want: true },
    { name: 'OnFailure, could not start', policy: 'OnFailure', c: exited(0, { state: 'created', error: 'exec failed' }), want: true },
    { name: 'Never, failure', policy: 'Never', c: exited(1), want: false },
  ])('$name → $want', ({ policy, c, want }) => {
    expect(shouldRestart(policy, c)).toBe(want);
  });
});
