import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { parseManifests } from '@orchard/api';
import { describe, expect, inject, it } from 'vitest';
import { describeResult, sleep, waitFor } from '../bed/cli';
import { rawClusterClient } from '../bed/cluster-client';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { useCluster } from '../bed/use-cluster';

// Issue 2, bad input: each case exits non-zero with an error naming the problem and the
// field, and leaves etcd exactly as it was (its revision does not move). The cluster has no
// agents, so nothing but these commands could write to etcd.

const bed = inject('bed');
const c = useCluster(bed, { name: 'bad-input', agents: false }, {
  // The master writes its own records at start; wait until the store is quiet.
  setUp: async (cluster) => {
    let last = -1;
    await waitFor('etcd to stop changing after master start-up', async () => {
      const rev = await cluster.etcdRevision();
      const quiet = rev === last;
      last = rev;
      if (!quiet) await sleep(1000);
      return quiet;
    }, { timeoutMs: 30_000, intervalMs: 0 });
  },
});

/** A valid pod manifest with one line replaced or added, for the cases below. */
function pod(opts: { name?: string; kind?: string; container?: string; specExtra?: string } = {}): string {
  return `apiVersion: v1
kind: ${opts.kind ?? 'Pod'}
metadata:
  name: ${opts.name ?? 'good'}
spec:
${opts.specExtra ?? ''}  containers:
${opts.container ?? `    - name: main
      image: ${TEST_IMAGES.busybox}
      command: ["sleep", "3600"]
`}`;
}

function withResources(section: 'limits' | 'requests', resource: 'cpu' | 'memory', value: string): string {
  return pod({
    container: `    - name: main
      image: ${TEST_IMAGES.busybox}
      resources:
        ${section}:
          ${resource}: "${value}"
`,
  });
}

interface BadCase {
  name: string;
  manifest: string;
  /** Every pattern must appear in stderr: the problem and the field. */
  expect: Array<string | RegExp>;
}

const limitsPath = (section: string, r: string) => new RegExp(`spec\\.containers\\[0\\]\\.resources\\.${section}(\\[${r}\\]|\\.${r})`);

const CASES: BadCase[] = [
  {
    name: 'malformed YAML',
    manifest: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\n  labels: [unclosed\nspec: {}\n',
    expect: [/yaml/i, /line \d+/i],
  },
  {
    name: 'YAML that is not an object',
    manifest: '- just\n- a list\n',
    expect: [/document 1|kind|object/i],
  },
  { name: 'unknown kind', manifest: pod({ kind: 'Poddle' }), expect: ['Poddle', /kind/i] },
  {
    name: 'unknown field',
    manifest: pod({ specExtra: '  nodeSlector:\n    disk: ssd\n' }),
    expect: ['unknown field "spec.nodeSlector"'],
  },
  {
    name: 'unknown field inside a container',
    manifest: pod({ container: `    - name: main\n      image: ${TEST_IMAGES.busybox}\n      imagePullPolicyy: Never\n` }),
    expect: ['unknown field "spec.containers[0].imagePullPolicyy"'],
  },
  {
    name: 'missing image',
    manifest: pod({ container: '    - name: main\n      command: ["sleep", "1"]\n' }),
    expect: ['spec.containers[0].image', /required/i],
  },
  { name: 'negative cpu limit', manifest: withResources('limits', 'cpu', '-1'), expect: [limitsPath('limits', 'cpu'), '-1'] },
  { name: 'malformed cpu limit', manifest: withResources('limits', 'cpu', 'lots'), expect: [limitsPath('limits', 'cpu'), 'lots'] },
  { name: 'negative memory request', manifest: withResources('requests', 'memory', '-64Mi'), expect: [limitsPath('requests', 'memory'), '-64Mi'] },
  { name: 'malformed memory limit', manifest: withResources('limits', 'memory', '64MiB'), expect: [limitsPath('limits', 'memory'), '64MiB'] },
  { name: 'malformed cpu request', manifest: withResources('requests', 'cpu', '1.2.3'), expect: [limitsPath('requests', 'cpu'), '1.2.3'] },
  { name: 'name that is not a DNS-1123 label', manifest: pod({ name: 'Web_Server' }), expect: ['metadata.name', 'Web_Server', /RFC 1123|DNS-1123/i] },
  {
    name: 'a valid document followed by an invalid one (all or nothing)',
    manifest: `${pod({ name: 'first-ok' })}---\n${pod({ name: 'second', specExtra: '  nodeSlector:\n    disk: ssd\n' })}`,
    expect: ['unknown field "spec.nodeSlector"'],
  },
];

/** Runs `fn` and checks that etcd's revision and registry keys are the same afterwards. */
async function expectEtcdUnchanged(fn: () => Promise<void>): Promise<void> {
  const revBefore = await c().etcdRevision();
  const keysBefore = await c().etcdKeys();
  await fn();
  // A write could land just after the command returns (an async path in the master).
  await sleep(300);
  expect(await c().etcdKeys(), 'keys under /orchard/registry/').toEqual(keysBefore);
  expect(await c().etcdRevision(), 'etcd revision').toBe(revBefore);
}

describe('orchard apply refuses bad input and changes nothing', () => {
  for (const tc of CASES) {
    it(tc.name, async () => {
      await expectEtcdUnchanged(async () => {
        const file = c().manifestFile(`${tc.name.replace(/\W+/g, '-')}.yaml`, tc.manifest);
        const r = await c().cli(['apply', '-f', file]);
        const what = describeResult(['apply', '-f', file], r);
        expect(r.code, what).not.toBe(0);
        expect(r.code, `${what}\n(a crash is not an answer)`).toBeGreaterThan(0);
        for (const p of tc.expect) {
          if (typeof p === 'string') expect(r.stderr, what).toContain(p);
          else expect(r.stderr, what).toMatch(p);
        }
        expect(r.stderr, `${what}\n(no stack traces for user errors)`).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
      });
    });
  }

  it('the same manifests through stdin (apply -f -) fail the same way', async () => {
    await expectEtcdUnchanged(async () => {
      const r = await c().cli(['apply', '-f', '-'], { input: pod({ specExtra: '  nodeSlector:\n    disk: ssd\n' }) });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('unknown field "spec.nodeSlector"');
    });
  });

  it('an unknown kind in get and delete is an error, not an empty answer', async () => {
    await expectEtcdUnchanged(async () => {
      for (const args of [['get', 'poddles'], ['delete', 'poddle', 'x']]) {
        const r = await c().cli(args);
        expect(r.code, describeResult(args, r)).not.toBe(0);
        expect(r.stderr, describeResult(args, r)).toContain('poddle');
      }
    });
  });
});

describe('the master itself refuses bad objects (no CLI in between)', () => {
  const serverCases = [
    { name: 'negative memory limit', manifest: withResources('limits', 'memory', '-1Gi'), field: limitsPath('limits', 'memory') },
    { name: 'missing image', manifest: pod({ container: '    - name: main\n' }), field: /spec\.containers\[0\]\.image/ },
    { name: 'bad name', manifest: pod({ name: 'Bad_Name' }), field: /metadata\.name/ },
  ];
  for (const tc of serverCases) {
    it(tc.name, async () => {
      // The codec accepts these (they are well-formed); only validation catches them.
      const objects = parseManifests(tc.manifest, tc.name);
      const client = rawClusterClient(c().masters[0].address);
      try {
        await expectEtcdUnchanged(async () => {
          const err = await client.apply(objects).then(
            () => undefined,
            (e: ServiceError) => e,
          );
          expect(err, 'Apply must fail').toBeDefined();
          expect(err!.code, err!.details).toBe(GrpcStatus.INVALID_ARGUMENT);
          expect(err!.details).toMatch(tc.field);
        });
      } finally {
        client.close();
      }
    });
  }
});

describe('control: a valid manifest does change etcd', () => {
  it('applies, moving the revision and adding the key; delete removes it', async () => {
    const revBefore = await c().etcdRevision();
    const r = await c().cli(['apply', '-f', '-'], { input: pod({ name: 'good' }) });
    expect(r.code, describeResult(['apply', '-f', '-'], r)).toBe(0);
    expect(await c().etcdRevision()).toBeGreaterThan(revBefore);
    expect((await c().etcdKeys()).some((k) => k.includes('good'))).toBe(true);
    // No node exists, so the pod is unbound and deleted at once.
    const d = await c().cli(['delete', 'pod', 'good']);
    expect(d.code, describeResult(['delete', 'pod', 'good'], d)).toBe(0);
    await waitFor('pod good to be gone from etcd', async () => !(await c().etcdKeys()).some((k) => k.includes('good')), { timeoutMs: 10_000 });
  });
});
