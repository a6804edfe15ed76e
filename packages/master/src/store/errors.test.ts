import { UnavailableError } from '@orchard/api';
import { GRPCUnavailableError } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { fromEtcdError, transportGist } from './errors';

describe('transportGist', () => {
  it.each([
    {
      name: 'grpc-js connection failure keeps the last error',
      input: '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:2379. Resolution note: ',
      want: 'no etcd member reachable: connect ECONNREFUSED 127.0.0.1:2379',
    },
    { name: 'an etcd answer is kept as is', input: 'etcdserver: request timed out', want: 'etcdserver: request timed out' },
  ])('$name', ({ input, want }) => {
    expect(transportGist(input)).toBe(want);
  });
});

describe('fromEtcdError', () => {
  it('an unreachable etcd is UnavailableError without the transport noise a client would misread', () => {
    const err = fromEtcdError(new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:2379'), 'list pods');
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe('etcd is unavailable (list pods): no etcd member reachable: connect ECONNREFUSED 127.0.0.1:2379');
    expect(err.message).not.toContain('Last error');
  });
});
