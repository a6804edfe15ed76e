import { describe, expect, it } from 'vitest';
import { ConfigMap, type ApplyRequest } from '@orchard/api';
import { run } from '../program';
import { FakeCluster, FakeIo, fakeContext } from '../testing/fake-cluster';

async function orchard(argv: string[], cluster = new FakeCluster(), io = new FakeIo(0)) {
  const code = await run(argv, fakeContext(io, cluster));
  const applied = cluster.requests.filter((r) => r.method === 'apply').map((r) => r.req as ApplyRequest);
  return { code, out: io.out, err: io.err, applied };
}

function secretOf(req: ApplyRequest | undefined) {
  const o = req?.objects[0];
  return o?.resource?.$case === 'secret' ? o.resource.secret : undefined;
}

describe('orchard create', () => {
  it('secret docker-registry writes a dockerconfigjson Secret as kubectl does', async () => {
    const r = await orchard(['create', 'secret', 'docker-registry', 'regcred', '--docker-server', '192.168.77.1:25000', '--docker-username', 'alice', '--docker-password', 'pa:ss']);
    expect(r.err).toBe('');
    expect(r.out).toBe('secret/regcred created\n');
    const s = secretOf(r.applied[0]);
    expect(s?.type).toBe('kubernetes.io/dockerconfigjson');
    const json = JSON.parse(Buffer.from(s!.data['.dockerconfigjson']!).toString());
    expect(json).toEqual({ auths: { '192.168.77.1:25000': { username: 'alice', password: 'pa:ss', auth: Buffer.from('alice:pa:ss').toString('base64') } } });
  });

  it('secret generic takes literals and files, in the namespace of -n', async () => {
    const io = new FakeIo(0);
    io.files.set('/certs/tls.key', 'KEY');
    const r = await orchard(['-n', 'team', 'create', 'secret', 'generic', 'db', '--from-literal', 'password=a=b', '--from-file', 'key=/certs/tls.key'], new FakeCluster(), io);
    expect(r.err).toBe('');
    const s = secretOf(r.applied[0]);
    expect(s?.metadata?.namespace).toBe('team');
    expect(s?.type).toBe('Opaque');
    expect(Object.fromEntries(Object.entries(s!.data).map(([k, v]) => [k, Buffer.from(v).toString()]))).toEqual({ password: 'a=b', key: 'KEY' });
  });

  it('configmap --from-file of a directory takes one key per file', async () => {
    const io = new FakeIo(0);
    io.files.set('/conf/a.properties', 'a=1');
    io.files.set('/conf/b.properties', 'b=2');
    const r = await orchard(['create', 'configmap', 'game', '--from-file', '/conf'], new FakeCluster(), io);
    expect(r.err).toBe('');
    const o = r.applied[0]?.objects[0];
    expect(o?.resource?.$case === 'configMap' ? o.resource.configMap.data : undefined).toEqual({ 'a.properties': 'a=1', 'b.properties': 'b=2' });
  });

  it('configmap prints the object with --dry-run=client -o yaml and sends nothing', async () => {
    const r = await orchard(['create', 'configmap', 'app', '--from-literal', 'MODE=fast', '--dry-run=client', '-o', 'yaml']);
    expect(r.code).toBe(0);
    expect(r.applied).toHaveLength(0);
    expect(r.out).toContain('kind: ConfigMap');
    expect(r.out).toContain('MODE: fast');
  });

  const failures: Array<{ name: string; argv: string[]; err: RegExp }> = [
    { name: 'a literal without =', argv: ['create', 'configmap', 'app', '--from-literal', 'MODE'], err: /invalid literal source MODE, expected key=value/ },
    { name: 'a key given twice', argv: ['create', 'configmap', 'app', '--from-literal', 'A=1', '--from-literal', 'A=2'], err: /cannot add key A/ },
    { name: 'an invalid key', argv: ['create', 'secret', 'generic', 's', '--from-literal', 'a b=1'], err: /data\[a b\]/ },
    { name: 'docker-registry without a user', argv: ['create', 'secret', 'docker-registry', 'r', '--docker-password', 'x'], err: /--docker-username is required/ },
  ];
  for (const c of failures) {
    it(`refuses ${c.name}, sending nothing`, async () => {
      const r = await orchard(c.argv);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(c.err);
      expect(r.applied).toHaveLength(0);
    });
  }

  it('refuses to create an object that exists', async () => {
    const cluster = new FakeCluster([{ resource: { $case: 'configMap', configMap: ConfigMap.fromPartial({ metadata: { name: 'app', namespace: 'default' } }) } }]);
    const r = await orchard(['create', 'configmap', 'app', '--from-literal', 'A=1'], cluster);
    expect(r.code).toBe(1);
    expect(r.err).toContain('configmaps "app" already exists');
    expect(r.applied).toHaveLength(0);
  });
});
