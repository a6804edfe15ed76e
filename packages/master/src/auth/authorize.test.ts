import { describe, expect, it } from 'vitest';
import type { Identity } from '../pki';
import { authorize, authorizeNodeName, METHOD_ROLES } from './authorize';

const admin: Identity = { role: 'admin', commonName: 'admin' };
const master: Identity = { role: 'master', commonName: 'system:master:m1', masterName: 'm1' };
const viewer: Identity = { role: 'viewer', commonName: 'grafana' };
const pi1: Identity = { role: 'node', commonName: 'system:node:pi1', nodeName: 'pi1' };

const cases: Array<{ name: string; who: Identity; method: string; request?: unknown; denied?: RegExp }> = [
  { name: 'admin applies', who: admin, method: 'ClusterService/Apply' },
  { name: 'admin creates tokens', who: admin, method: 'ClusterService/CreateToken' },
  { name: 'admin reads secrets', who: admin, method: 'ClusterService/Get', request: { kind: 'secret' } },
  { name: 'master deletes', who: master, method: 'ClusterService/Delete' },
  { name: 'viewer lists pods', who: viewer, method: 'ClusterService/List', request: { kind: 'pods' } },
  { name: 'viewer watches nodes', who: viewer, method: 'ClusterService/Watch', request: { kind: 'no' } },
  { name: 'viewer lists masters', who: viewer, method: 'ClusterService/ListMasters' },
  { name: 'viewer reads top', who: viewer, method: 'ClusterService/Top' },
  { name: 'viewer may not apply', who: viewer, method: 'ClusterService/Apply', denied: /viewer "grafana" may not call ClusterService\/Apply: viewer certificates are read-only/ },
  { name: 'viewer may not list secrets', who: viewer, method: 'ClusterService/List', request: { kind: 'secrets' }, denied: /may not read secrets/ },
  { name: 'viewer may not get a secret', who: viewer, method: 'ClusterService/Get', request: { kind: 'Secret' }, denied: /may not read secrets/ },
  { name: 'viewer may not create tokens', who: viewer, method: 'ClusterService/CreateToken', denied: /may not call/ },
  { name: 'viewer may not exec', who: viewer, method: 'ClusterService/Exec', denied: /may not call/ },
  { name: 'admin creates credentials', who: admin, method: 'ClusterService/CreateCredentials' },
  { name: 'admin re-encrypts secrets', who: admin, method: 'ClusterService/ReencryptSecrets' },
  { name: 'viewer may not create credentials', who: viewer, method: 'ClusterService/CreateCredentials', denied: /viewer "grafana" may not call ClusterService\/CreateCredentials: viewer certificates are read-only/ },
  { name: 'node may not create credentials', who: pi1, method: 'ClusterService/CreateCredentials', denied: /node "pi1" may not call ClusterService\/CreateCredentials/ },
  { name: 'a master does not hand out credentials', who: master, method: 'ClusterService/CreateCredentials', denied: /master "m1" may not call/ },
  { name: 'viewer may not re-encrypt secrets', who: viewer, method: 'ClusterService/ReencryptSecrets', denied: /may not call/ },
  { name: 'node connects its stream', who: pi1, method: 'NodeService/Connect' },
  { name: 'node renews its certificate', who: pi1, method: 'BootstrapService/RenewCertificate' },
  { name: 'node may not list pods', who: pi1, method: 'ClusterService/List', request: { kind: 'pods' }, denied: /node "pi1" may not call ClusterService\/List: node certificates may only use their own node stream/ },
  { name: 'node may not get secrets', who: pi1, method: 'ClusterService/Get', request: { kind: 'secret' }, denied: /may not call ClusterService\/Get/ },
  { name: 'node may not apply', who: pi1, method: 'ClusterService/Apply', denied: /may not call/ },
  { name: 'node may not create tokens', who: pi1, method: 'ClusterService/CreateToken', denied: /may not call/ },
  { name: 'admin does not renew node certificates', who: admin, method: 'BootstrapService/RenewCertificate', denied: /may not call/ },
  { name: 'an unknown method is closed to admins', who: admin, method: 'ClusterService/Future', denied: /may not call ClusterService\/Future/ },
];

describe('authorize', () => {
  for (const tc of cases) {
    it(tc.name, () => {
      const run = () => authorize(tc.who, tc.method, tc.request);
      if (tc.denied) expect(run).toThrow(tc.denied);
      else expect(run).not.toThrow();
    });
  }

  it('denials are PERMISSION_DENIED', () => {
    try {
      authorize(pi1, 'ClusterService/Apply');
      expect.unreachable();
    } catch (err) {
      expect((err as { code: number }).code).toBe(7);
    }
  });

  it('lists every RPC of the cluster API', () => {
    const methods = ['Apply', 'Get', 'List', 'Delete', 'Watch', 'ListMasters', 'Logs', 'Exec', 'Top', 'CreateToken', 'ListTokens', 'DeleteToken', 'CreateCredentials', 'ReencryptSecrets'];
    for (const m of methods) expect(METHOD_ROLES[`ClusterService/${m}`], m).toBeDefined();
  });
});

describe('authorizeNodeName', () => {
  const cases: Array<{ name: string; who: Identity; node: string; denied: boolean }> = [
    { name: 'a node as itself', who: pi1, node: 'pi1', denied: false },
    { name: 'a node as another node', who: pi1, node: 'pi2', denied: true },
    { name: 'an admin as any node', who: admin, node: 'pi2', denied: false },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const run = () => authorizeNodeName(tc.who, tc.node);
      if (tc.denied) expect(run).toThrow(/node "pi1" may not act as node "pi2"/);
      else expect(run).not.toThrow();
    });
  }
});
