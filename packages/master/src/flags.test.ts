import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCertValidity, parseDuration, parseMasterFlags } from './flags';

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
      podEvictionTimeoutMs: 3000,
      evictionRate: 10,
      unhealthyZoneThreshold: 0.55,
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
      '--pod-eviction-timeout', '500ms',
      '--eviction-rate', '2.5',
      '--unhealthy-zone-threshold', '70%',
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
      podEvictionTimeoutMs: 500,
      evictionRate: 2.5,
      unhealthyZoneThreshold: 0.7,
      leaderLeaseTtlSeconds: 2,
      serverSecretFile: undefined,
      registryPlatformLookup: true,
      logLevel: 'debug',
    });
  });
});

describe('--insecure-registry', () => {
  it('collects registries from repeated and comma-separated flags, without duplicates', () => {
    const f = parseMasterFlags(['node', 'orchard-master', '--insecure-registry', '10.0.0.5:5000,Registry.LAN', '--insecure-registry', '10.0.0.5:5000', '--insecure-registry', '[fd00::1]:5000', '--insecure-registry', '192.168.77.0/24']);
    expect(f.insecureRegistries).toEqual(['10.0.0.5:5000', 'registry.lan', '[fd00::1]:5000', '192.168.77.0/24']);
  });

  it('refuses a URL', () => {
    expect(() => parseMasterFlags(['node', 'orchard-master', '--insecure-registry', 'http://10.0.0.5:5000'], { throwOnError: true })).toThrow(/expected HOST\[:PORT\]/);
  });
});

describe('--registry-platform-lookup', () => {
  it.each([
    ['by default', [], true],
    ['false', ['--registry-platform-lookup', 'false'], false],
    ['the last one wins', ['--registry-platform-lookup', 'false', '--registry-platform-lookup', 'true'], true],
  ])('%s', (_name, args, expected) => {
    expect(parseMasterFlags(['node', 'orchard-master', ...args]).registryPlatformLookup).toBe(expected);
  });

  it('refuses anything but true or false', () => {
    expect(() => parseMasterFlags(['node', 'orchard-master', '--registry-platform-lookup', 'no'], { throwOnError: true })).toThrow(/expected true or false, got "no"/);
  });
});

describe('--config', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchard-master-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads settings from the file; flags on the command line win', () => {
    const cfg = file('master.yaml', '# comment\netcd: http://127.0.0.1:2379\nnode-grace-period: 6s\nleader-lease-ttl: 5\nlisten: 0.0.0.0:7443\n');
    const f = parseMasterFlags(['node', 'orchard-master', '--config', cfg, '--listen', '127.0.0.1:9000'], { throwOnError: true });
    expect(f).toMatchObject({ etcd: ['http://127.0.0.1:2379'], nodeGracePeriodMs: 6000, leaderLeaseTtlSeconds: 5, listen: '127.0.0.1:9000' });
  });

  it.each([
    { name: 'an unknown setting', text: 'etcd-urls: x\n', error: /unknown setting "etcd-urls"/ },
    { name: 'a nested value', text: 'etcd:\n  a: b\n', error: /must be a single value/ },
    { name: 'a list at the top', text: '- a\n', error: /must be a map/ },
    { name: 'malformed YAML', text: 'etcd: [\n', error: /cannot read --config/ },
    { name: 'a bad value, named like its flag', text: 'listen: nowhere\n', error: /--listen/ },
  ])('refuses $name', ({ text, error }) => {
    const cfg = file('bad.yaml', text);
    expect(() => parseMasterFlags(['node', 'orchard-master', '--config', cfg], { throwOnError: true })).toThrow(error);
  });
});

describe('eviction flags', () => {
  it.each([
    { name: 'a zero eviction rate', args: ['--eviction-rate', '0'], error: /--eviction-rate/ },
    { name: 'a threshold above 100%', args: ['--unhealthy-zone-threshold', '120%'], error: /--unhealthy-zone-threshold/ },
    { name: 'a malformed eviction timeout', args: ['--pod-eviction-timeout', 'soon'], error: /--pod-eviction-timeout/ },
  ])('refuses $name', ({ args, error }) => {
    expect(() => parseMasterFlags(['node', 'orchard-master', ...args], { throwOnError: true })).toThrow(error);
  });
});

describe('--node-cert-validity', () => {
  const cases: Array<{ value: string; ms?: number; error?: RegExp }> = [
    { value: '2160h', ms: 90 * 86_400_000 },
    { value: '90d', ms: 90 * 86_400_000 },
    { value: '30s', ms: 30_000 },
    { value: '5s', error: /must be at least 10s, got "5s"/ },
    { value: '4000d', error: /must be at most 3650d/ },
    { value: 'soon', error: /invalid duration "soon"/ },
  ];
  for (const tc of cases) {
    it(tc.value, () => {
      if (tc.error) expect(() => parseCertValidity(tc.value)).toThrow(tc.error);
      else expect(parseCertValidity(tc.value)).toBe(tc.ms);
    });
  }
  it('is a flag and a config-file setting; unset means the 90-day default', () => {
    expect(parseMasterFlags(['node', 'm', '--node-cert-validity', '30s']).nodeCertValidityMs).toBe(30_000);
    expect(parseMasterFlags(['node', 'm']).nodeCertValidityMs).toBeUndefined();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orchard-flags-'));
    try {
      const file = path.join(dir, 'master.yaml');
      writeFileSync(file, 'node-cert-validity: 720h\n');
      expect(parseMasterFlags(['node', 'm', '--config', file]).nodeCertValidityMs).toBe(720 * 3_600_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
