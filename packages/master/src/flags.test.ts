import { describe, expect, it } from 'vitest';
import { parseDuration, parseMasterFlags } from './flags';

describe('parseDuration', () => {
  it.each([
    { in: '4s', ms: 4000 },
    { in: '500ms', ms: 500 },
    { in: '1m', ms: 60_000 },
    { in: '2', ms: 2000 },
    { in: '1.5s', ms: 1500 },
  ])('$in is $ms ms', ({ in: v, ms }) => expect(parseDuration(v)).toBe(ms));

  it.each(['', 'soon', '-1s', '0s', '4h'])('rejects %j', (v) => expect(() => parseDuration(v)).toThrow(/duration/));
});

describe('parseMasterFlags', () => {
  it('applies the documented defaults', () => {
    const f = parseMasterFlags(['node', 'orchard-master']);
    expect(f).toMatchObject({
      etcd: [],
      dataDir: '/var/lib/orchard',
      listen: '0.0.0.0:7443',
      etcdClientPort: 2379,
      etcdPeerPort: 2380,
      nodeGracePeriodMs: 4000,
    });
    expect(f.advertiseAddress).toMatch(/:7443$/);
  });

  it('reads every flag', () => {
    const f = parseMasterFlags([
      'node', 'orchard-master',
      '--etcd', 'http://10.0.0.1:2379, http://10.0.0.2:2379',
      '--data-dir', '/tmp/x',
      '--listen', '127.0.0.1:9443',
      '--name', 'm2',
      '--etcd-client-port', '22379',
      '--etcd-peer-port', '22380',
      '--node-grace-period', '10s',
      '--log-level', 'debug',
    ]);
    expect(f).toEqual({
      etcd: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
      dataDir: '/tmp/x',
      listen: '127.0.0.1:9443',
      name: 'm2',
      advertiseAddress: '127.0.0.1:9443',
      etcdClientPort: 22379,
      etcdPeerPort: 22380,
      nodeGracePeriodMs: 10_000,
      leaderLeaseTtlSeconds: 3,
      logLevel: 'debug',
    });
  });
});
