import { describe, expect, it } from 'vitest';
import {
  ApplyRequest,
  DeleteRequest,
  ListRequest,
  Namespace,
  Node,
  Pod,
  WatchEvent,
  kindByCase,
  parseManifests,
  wrap,
  wrapNode,
  wrapPod,
  type GetRequest,
} from '@orchard/api';
import { run } from './program';
import { FakeCluster, FakeIo, fakeContext } from './testing/fake-cluster';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function pod(name: string, ns = 'default', labels: Record<string, string> = {}) {
  return wrapPod(
    Pod.fromPartial({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels, creationTimestamp: '2026-01-01T11:59:00Z' },
      spec: { nodeName: 'pi1', containers: [{ name: 'c', image: 'busybox' }] },
      status: {
        phase: 'Running',
        podIp: '10.42.0.9',
        containerStatuses: [{ name: 'c', ready: true, state: { running: { startedAt: '2026-01-01T11:59:01Z' } } }],
      },
    }),
  );
}

const POD_YAML = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.25
`;

async function orchard(args: string, cluster = new FakeCluster(), setup: (io: FakeIo) => void = () => {}) {
  const io = new FakeIo(NOW);
  setup(io);
  const ctx = fakeContext(io, cluster);
  const code = await run(args.split(' ').filter((a) => a !== ''), ctx);
  return { code, out: io.out, err: io.err, cluster, ctx };
}

describe('orchard get', () => {
  const cluster = () => new FakeCluster([pod('web'), pod('db', 'default', { tier: 'db' }), pod('other', 'dev'), wrapNode(Node.fromPartial({ metadata: { name: 'pi1' } }))]);
  const cases: Array<{ name: string; args: string; out?: string; err?: string; code?: number }> = [
    {
      name: 'pods as a table',
      args: 'get pods',
      out: 'NAME   READY   STATUS    RESTARTS   AGE\nweb    1/1     Running   0          60s\ndb     1/1     Running   0          60s\n',
    },
    { name: 'short kind name and a pod name', args: 'get po web', out: 'NAME   READY   STATUS    RESTARTS   AGE\nweb    1/1     Running   0          60s\n' },
    { name: 'kind/name form', args: 'get pod/web -o name', out: 'pod/web\n' },
    { name: 'label selector', args: 'get pods -l tier=db -o name', out: 'pod/db\n' },
    { name: 'namespace flag', args: 'get pods -n dev -o name', out: 'pod/other\n' },
    { name: 'namespace flag before the command', args: '-n dev get pods -o name', out: 'pod/other\n' },
    { name: 'all namespaces', args: 'get pods -A -o name', out: 'pod/web\npod/db\npod/other\n' },
    { name: 'empty namespace', args: 'get pods -n empty', out: '', err: 'No resources found in empty namespace.\n' },
    { name: 'unknown kind', args: 'get foo', err: 'error: the server doesn\'t have a resource type "foo"\n', code: 1 },
    { name: 'missing kind', args: 'get', err: 'error: you must specify the type of resource to get: one of pods (po), nodes (no), namespaces (ns), configmaps (cm), secrets\n', code: 1 },
    { name: 'missing object', args: 'get pod nope', err: 'error: pods "nope" not found\n', code: 1 },
    { name: 'missing object as json', args: 'get pod nope -o json', out: '', err: 'error: pods "nope" not found\n', code: 1 },
    { name: 'missing object as yaml', args: 'get pod nope -o yaml', out: '', err: 'error: pods "nope" not found\n', code: 1 },
    {
      name: 'found and missing objects',
      args: 'get pod web nope -o name',
      out: 'pod/web\n',
      err: 'error: pods "nope" not found\n',
      code: 1,
    },
    { name: 'nodes by short name', args: 'get no -o name', out: 'node/pi1\n' },
    { name: 'a name across all namespaces', args: 'get pod web -A', err: 'error: a resource cannot be retrieved by name across all namespaces\n', code: 1 },
    { name: 'bad output format', args: 'get pods -o xml', code: 1, err: "error: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are wide, yaml, json, name.\n" },
    { name: 'unknown flag', args: 'get pods --bogus', code: 1, err: "error: unknown option '--bogus'\n" },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await orchard(c.args, cluster());
      expect(r.err).toBe(c.err ?? '');
      if (c.out !== undefined) expect(r.out).toBe(c.out);
      expect(r.code).toBe(c.code ?? 0);
    });
  }

  it('prints one object as JSON and a list as kind List', async () => {
    const one = JSON.parse((await orchard('get pod web -o json', cluster())).out);
    expect(one).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, status: { phase: 'Running' } });
    const list = JSON.parse((await orchard('get pods -o json', cluster())).out);
    expect(list.kind).toBe('List');
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['web', 'db']);
  });

  it('prints YAML that decodes back to the object', async () => {
    const r = await orchard('get pod web -o yaml', cluster());
    expect(parseManifests(r.out, 'out.yaml')).toEqual([pod('web')]);
  });

  it('asks the server with the selector, namespace and kind', async () => {
    const r = await orchard('get pods -l app=web --field-selector spec.nodeName=pi1', cluster());
    expect(r.cluster.calls<ListRequest>('list')).toEqual([
      ListRequest.fromPartial({ kind: 'pods', namespace: 'default', labelSelector: 'app=web', fieldSelector: 'spec.nodeName=pi1' }),
    ]);
  });

  it('passes --server and --request-timeout to the connection and closes it', async () => {
    const r = await orchard('get pods --server a:1,b:2 --request-timeout 5s', cluster());
    expect(r.ctx.connects).toEqual([expect.objectContaining({ server: 'a:1,b:2', requestTimeout: '5s' })]);
    expect(r.cluster.closed).toBe(1);
  });

  it('watches: header once, then a row per event', async () => {
    const c = cluster();
    c.watchEvents = [WatchEvent.fromPartial({ type: 'ADDED', object: pod('web') }), WatchEvent.fromPartial({ type: 'MODIFIED', object: pod('db') })];
    const r = await orchard('get pods -w', c);
    expect(r.out).toBe('NAME   READY   STATUS    RESTARTS   AGE\nweb    1/1     Running   0          60s\ndb     1/1     Running   0          60s\n');
  });

  it('resumes a broken watch after the last resourceVersion it saw', async () => {
    const c = cluster();
    const at = (name: string, rv: string) => {
      const p = Pod.fromPartial({ metadata: { name, namespace: 'default', resourceVersion: rv }, spec: { containers: [{ name: 'c' }] } });
      return WatchEvent.fromPartial({ type: 'ADDED', object: wrapPod(p) });
    };
    c.watchEvents = [at('a', '3'), at('b', '4'), at('c', '7')];
    c.watchBreaksAfter = [2];
    const r = await orchard('get pods -w -o name', c);
    expect(r.out).toBe('pod/a\npod/b\npod/c\n');
    expect(c.calls<{ resourceVersion: string }>('watch').map((w) => w.resourceVersion)).toEqual(['', '4']);
  });

  it('gives up on a watch that keeps breaking', async () => {
    const c = cluster();
    c.watchEvents = [WatchEvent.fromPartial({ type: 'ADDED', object: pod('web') })];
    c.watchBreaksAfter = [0, 0, 0, 0, 0];
    const r = await orchard('get pods -w', c);
    expect(r.err).toBe('error: master went away\n');
    expect(r.code).toBe(1);
    expect(c.calls('watch')).toHaveLength(5);
  });

  it('watches one name only', async () => {
    const c = cluster();
    c.watchEvents = [WatchEvent.fromPartial({ type: 'ADDED', object: pod('web') }), WatchEvent.fromPartial({ type: 'ADDED', object: pod('db') })];
    const r = await orchard('get pod db -w -o name', c);
    expect(r.out).toBe('pod/db\n');
  });

  it('lists masters', async () => {
    const c = cluster();
    c.masters = [{ name: 'm1', address: '127.0.0.1:7443', version: '0.1.0', leader: true, startedAt: '2026-01-01T11:00:00Z' }];
    const r = await orchard('get masters', c);
    expect(r.out).toBe('NAME   ADDRESS          VERSION   LEADER   AGE\nm1     127.0.0.1:7443   0.1.0     true     60m\n');
  });

  it('lists namespaces', async () => {
    const c = new FakeCluster([wrap(kindByCase('namespace'), Namespace.fromPartial({ metadata: { name: 'default' }, status: { phase: 'Active' } }))]);
    expect((await orchard('get ns', c)).out).toBe('NAME      STATUS   AGE\ndefault   Active   <unknown>\n');
  });
});

describe('orchard apply', () => {
  it('validates locally, sends one request with defaults and prints kubectl-style results', async () => {
    const r = await orchard('apply -f pod.yaml', new FakeCluster(), (io) => io.files.set('pod.yaml', `${POD_YAML}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n`));
    expect(r.err).toBe('');
    expect(r.out).toBe('pod/web created\nnamespace/dev created\n');
    const [req] = r.cluster.calls<ApplyRequest>('apply');
    expect(req!.objects).toHaveLength(2);
    expect(req!.objects[0]!.resource).toMatchObject({ $case: 'pod', pod: { metadata: { namespace: 'default' }, spec: { restartPolicy: 'Always' } } });
  });

  it('says configured for an object that exists', async () => {
    const c = new FakeCluster();
    await orchard('apply -f pod.yaml', c, (io) => io.files.set('pod.yaml', POD_YAML));
    const r = await orchard('apply -f pod.yaml', c, (io) => io.files.set('pod.yaml', POD_YAML));
    expect(r.out).toBe('pod/web configured\n');
  });

  it('puts objects into the -n namespace', async () => {
    const r = await orchard('apply -n dev -f pod.yaml', new FakeCluster(), (io) => io.files.set('pod.yaml', POD_YAML));
    expect(r.cluster.calls<ApplyRequest>('apply')[0]!.objects[0]!.resource).toMatchObject({ pod: { metadata: { namespace: 'dev' } } });
  });

  it('reads stdin and directories (recursively with -R)', async () => {
    const setup = (io: FakeIo) => {
      io.stdin = POD_YAML.replace('name: web', 'name: from-stdin');
      io.files.set('dir/a.yaml', POD_YAML.replace('name: web', 'name: a'));
      io.files.set('dir/notes.txt', 'not a manifest');
      io.files.set('dir/sub/b.yml', POD_YAML.replace('name: web', 'name: b'));
    };
    expect((await orchard('apply -f - -f dir', new FakeCluster(), setup)).out).toBe('pod/from-stdin created\npod/a created\n');
    expect((await orchard('apply -f dir -R', new FakeCluster(), setup)).out).toBe('pod/a created\npod/b created\n');
  });

  const bad: Array<{ name: string; text: string; err: string }> = [
    {
      name: 'malformed YAML',
      text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n',
      err: 'error: error parsing bad.yaml: document 1, line 5, column 1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n',
    },
    { name: 'unknown kind', text: 'apiVersion: v1\nkind: Deploymnt\nmetadata: {name: a}\n', err: 'error: error parsing bad.yaml: document 1: no matches for kind "Deploymnt" in version "v1"\n' },
    {
      name: 'unknown field',
      text: POD_YAML.replace('spec:\n', 'spec:\n  nodeSlector: {}\n'),
      err: 'error: error parsing bad.yaml: document 1: Pod "web" in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.nodeSlector"\n',
    },
    { name: 'missing image', text: POD_YAML.replace('    image: nginx:1.25\n', ''), err: 'error: Pod "web" is invalid: spec.containers[0].image: Required value\n' },
    {
      name: 'negative cpu',
      text: `${POD_YAML}    resources: {requests: {cpu: "-1"}}\n`,
      err: 'error: Pod "web" is invalid: spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be a non-negative quantity like 100m, 250Mi or 1Gi\n',
    },
    { name: 'name not a DNS-1123 label', text: POD_YAML.replace('name: web\nspec', 'name: Web_1\nspec'), err: 'error: Pod "Web_1" is invalid: metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 label must consist of' },
    {
      name: 'namespace conflicting with -n',
      text: POD_YAML.replace('name: web\n', 'name: web\n  namespace: prod\n'),
      err: 'error: the namespace from the provided object "prod" does not match the namespace "dev". You must pass \'--namespace=prod\' to perform this operation.\n',
    },
  ];
  for (const c of bad) {
    it(`sends nothing for ${c.name}`, async () => {
      const ns = c.name.includes('-n') ? '-n dev ' : '';
      const r = await orchard(`${ns}apply -f good.yaml -f bad.yaml`, new FakeCluster(), (io) => {
        io.files.set('good.yaml', POD_YAML.replace('name: web', 'name: good'));
        io.files.set('bad.yaml', c.text);
      });
      expect(r.code).toBe(1);
      expect(r.err.startsWith(c.err)).toBe(true);
      expect(r.out).toBe('');
      expect(r.cluster.requests).toEqual([]);
    });
  }

  it('reports every bad document of every file', async () => {
    const r = await orchard('apply -f a.yaml -f b.yaml', new FakeCluster(), (io) => {
      io.files.set('a.yaml', 'apiVersion: v1\nkind: Foo\n');
      io.files.set('b.yaml', POD_YAML.replace('    image: nginx:1.25\n', ''));
    });
    expect(r.err.trim().split('\n')).toEqual([
      'error: error parsing a.yaml: document 1: no matches for kind "Foo" in version "v1"',
      'error: Pod "web" is invalid: spec.containers[0].image: Required value',
    ]);
  });

  it('names a missing file', async () => {
    const r = await orchard('apply -f nope.yaml');
    expect(r.err).toBe('error: the path "nope.yaml" does not exist\n');
    expect(r.code).toBe(1);
  });

  it('requires -f', async () => {
    const r = await orchard('apply');
    expect(r.err).toBe('error: must specify -f FILENAME (a file, a directory, or - for stdin)\n');
    expect(r.code).toBe(1);
  });

  it('client dry run sends nothing; server dry run asks the master not to write', async () => {
    const client = await orchard('apply --dry-run -f pod.yaml', new FakeCluster(), (io) => io.files.set('pod.yaml', POD_YAML));
    expect(client.out).toBe('pod/web created (dry run)\n');
    expect(client.cluster.requests).toEqual([]);
    const server = await orchard('apply --dry-run=server -f pod.yaml', new FakeCluster(), (io) => io.files.set('pod.yaml', POD_YAML));
    expect(server.out).toBe('pod/web created (server dry run)\n');
    expect(server.cluster.calls<ApplyRequest>('apply')[0]!.dryRun).toBe(true);
    expect(server.cluster.objects.size).toBe(0);
  });
});

describe('orchard delete', () => {
  it('deletes and waits until the object is gone', async () => {
    const c = new FakeCluster([pod('web')]);
    c.lingerGets = 2;
    const r = await orchard('delete pod web', c);
    expect(r.out).toBe('pod "web" deleted\n');
    expect(r.code).toBe(0);
    expect(c.calls<GetRequest>('get').length).toBe(3);
    expect(c.calls<DeleteRequest>('delete')[0]!.gracePeriodSeconds).toBeUndefined();
  });

  it('gives up after --timeout', async () => {
    const c = new FakeCluster([pod('web')]);
    c.lingerGets = 1000;
    const r = await orchard('delete pod web --timeout 2s', c);
    expect(r.err).toBe('error: timed out waiting for the condition on pods/web\n');
    expect(r.code).toBe(1);
  });

  it('does not wait with --wait=false', async () => {
    const c = new FakeCluster([pod('web')]);
    c.lingerGets = 1000;
    const r = await orchard('delete pod web --wait=false', c);
    expect(r.code).toBe(0);
    expect(c.calls('get')).toEqual([]);
  });

  const graceCases: Array<{ name: string; flags: string; grace: number | undefined; err?: string }> = [
    { name: 'the pod decides by default', flags: '', grace: undefined },
    { name: 'an explicit grace period', flags: '--grace-period 5', grace: 5 },
    { name: 'zero without force asks for one second', flags: '--grace-period 0', grace: 1 },
    { name: 'force means zero', flags: '--force', grace: 0, err: 'Warning: Immediate deletion' },
    { name: 'force with zero', flags: '--force --grace-period 0', grace: 0, err: 'Warning: Immediate deletion' },
  ];
  for (const g of graceCases) {
    it(`grace period: ${g.name}`, async () => {
      const r = await orchard(`delete pod web ${g.flags}`, new FakeCluster([pod('web')]));
      expect(r.cluster.calls<DeleteRequest>('delete')[0]!.gracePeriodSeconds).toBe(g.grace);
      expect(r.err.startsWith(g.err ?? '')).toBe(true);
    });
  }

  it('rejects --force with a positive grace period', async () => {
    const r = await orchard('delete pod web --force --grace-period 5', new FakeCluster([pod('web')]));
    expect(r.err).toBe('error: --force and --grace-period greater than 0 cannot be specified together\n');
    expect(r.cluster.requests).toEqual([]);
  });

  it('reports a missing object and still deletes the others', async () => {
    const r = await orchard('delete pods nope web', new FakeCluster([pod('web')]));
    expect(r.out).toBe('pod "web" deleted\n');
    expect(r.err).toBe('error: pods "nope" not found\n');
    expect(r.code).toBe(1);
  });

  it('ignores a missing object with --ignore-not-found', async () => {
    const r = await orchard('delete pod nope --ignore-not-found');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });

  it('deletes what a file defines, in the file\'s namespace', async () => {
    const c = new FakeCluster([pod('web', 'dev'), wrap(kindByCase('namespace'), Namespace.fromPartial({ metadata: { name: 'dev' } }))]);
    const r = await orchard('delete -f all.yaml', c, (io) =>
      io.files.set('all.yaml', `${POD_YAML.replace('name: web\n', 'name: web\n  namespace: dev\n')}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n`),
    );
    expect(r.out).toBe('pod "web" deleted\nnamespace "dev" deleted\n');
    expect(c.objects.size).toBe(0);
  });

  it('deletes by label selector', async () => {
    const c = new FakeCluster([pod('web', 'default', { app: 'x' }), pod('db')]);
    const r = await orchard('delete pods -l app=x', c);
    expect(r.out).toBe('pod "web" deleted\n');
    expect(c.objects.size).toBe(1);
  });

  it('needs a name', async () => {
    const r = await orchard('delete pods');
    expect(r.err).toBe('error: resource(s) were provided, but no name was specified\n');
  });
});

describe('orchard describe and version', () => {
  it('describes a pod', async () => {
    const r = await orchard('describe pod web', new FakeCluster([pod('web')]));
    expect(r.out).toContain('Name:         web\nNamespace:    default\nNode:         pi1\n');
    expect(r.code).toBe(0);
  });

  it('describes a node with its pods', async () => {
    const r = await orchard('describe node pi1', new FakeCluster([pod('web'), wrapNode(Node.fromPartial({ metadata: { name: 'pi1' } }))]));
    expect(r.out).toContain('Non-terminated Pods:');
    expect(r.out).toContain('(1 in total)');
    expect(r.cluster.calls<ListRequest>('list')[0]).toMatchObject({ kind: 'pods', allNamespaces: true, fieldSelector: 'spec.nodeName=pi1' });
  });

  it('reports a missing pod', async () => {
    const r = await orchard('describe pod nope');
    expect(r.err).toBe('error: pods "nope" not found\n');
    expect(r.code).toBe(1);
  });

  it('prints client and server versions', async () => {
    const c = new FakeCluster();
    c.masters = [
      { name: 'm1', address: 'a', version: '0.0.9', leader: false, startedAt: '' },
      { name: 'm2', address: 'b', version: '0.1.0', leader: true, startedAt: '' },
    ];
    expect((await orchard('version', c)).out).toBe('Client Version: v0.1.0\nServer Version: v0.1.0\n');
    expect((await orchard('version --client', c)).out).toBe('Client Version: v0.1.0\n');
  });
});
