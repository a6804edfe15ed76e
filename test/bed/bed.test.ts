import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dockerOk, docker } from './docker';
import { endpoints, etcdctl, restartMember, startEtcd, stopEtcd, stopMember, type EtcdCluster } from './etcd';
import type {} from './facts';
import { TEST_IMAGES } from './images';
import { inNode, nodeEngine } from './netns-node';
import { killAll } from './processes';
import { waitFor } from './wait';

// The bed itself, checked before any scenario relies on it: when these fail, the machine
// (not Orchard) is the problem.
const bed = inject('bed');

describe('simulated nodes', () => {
  it('each has its own hostname, LAN address and dockerd with the test images', async () => {
    expect(bed.nodes.length).toBeGreaterThanOrEqual(1);
    for (const node of bed.nodes) {
      const host = await inNode(node, ['hostname']);
      expect(host.stdout.trim()).toBe(node.name);
      const addr = await inNode(node, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      expect(addr.stdout).toContain(`${node.address}/24`);
      const images = await dockerOk(nodeEngine(node), ['images', '--format', '{{.Repository}}:{{.Tag}}']);
      expect(images.split('\n')).toEqual(expect.arrayContaining([TEST_IMAGES.busybox, TEST_IMAGES.pause]));
      const info = await dockerOk(nodeEngine(node), ['info', '--format', '{{.Name}}']);
      expect(info.trim()).toBe(node.name);
    }
  });

  it('reach each other over the LAN bridge', async () => {
    if (bed.nodes.length < 2) return;
    const [a, b] = bed.nodes;
    const r = await inNode(a, ['busybox', 'ping', '-c', '1', '-W', '2', b.address]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
  });

  it('a container started on a node answers on its pod IP from the host and from another node', async () => {
    const node = bed.nodes[0];
    const engine = nodeEngine(node);
    const name = 'bed-check-web';
    await docker(engine, ['rm', '-f', name]);
    try {
      await dockerOk(engine, [
        'run', '-d', '--name', name, TEST_IMAGES.busybox,
        'sh', '-c', `echo served-by-${node.name} > /www/index.html && exec httpd -f -p 80 -h /www`,
      ]);
      const ip = (await dockerOk(engine, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', name])).trim();
      const subnetPrefix = node.podSubnet.split('.').slice(0, 3).join('.') + '.';
      expect(ip.startsWith(subnetPrefix), `${ip} in ${node.podSubnet}`).toBe(true);
      const body = await waitFor('httpd in the container', async () => {
        const res = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(2000) });
        return res.ok ? res.text() : undefined;
      }, { timeoutMs: 10_000 });
      expect(body.trim()).toBe(`served-by-${node.name}`);
      if (bed.nodes.length > 1) {
        const r = await inNode(bed.nodes[1], ['busybox', 'wget', '-O', '-', `http://${ip}/`]);
        expect(r.stdout.trim()).toBe(`served-by-${node.name}`);
      }
    } finally {
      await docker(engine, ['rm', '-f', name]);
    }
    const left = await dockerOk(engine, ['ps', '-a', '-q', '--filter', `name=^/${name}$`]);
    expect(left.trim()).toBe('');
  });
});

describe('etcd helper', () => {
  let etcd: EtcdCluster | undefined;
  afterAll(async () => {
    if (etcd) await stopEtcd(etcd);
    await killAll();
  });

  it('runs a 3-member cluster that survives the loss of one member', async () => {
    etcd = await startEtcd(path.join(bed.runsDir, `bed-etcd-${Date.now()}`), 3);
    expect(endpoints(etcd)).toHaveLength(3);
    const put = await etcdctl(etcd, ['put', '/bed-check/a', '1']);
    expect(put.code, put.stderr).toBe(0);
    const victim = etcd.members[0];
    await stopMember(victim, 'SIGKILL');
    expect(victim.proc?.exit?.signal).toBe('SIGKILL');
    // The survivors may first have to elect a new leader (the victim may have led).
    await waitFor('a write to the two surviving members', async () => {
      const put2 = await etcdctl(etcd!, ['put', '/bed-check/b', '2']);
      if (put2.code !== 0) throw new Error(put2.stderr);
      return true;
    }, { timeoutMs: 20_000, intervalMs: 500 });
    await restartMember(etcd, victim);
    const get = await etcdctl(etcd, ['--endpoints', victim.clientUrl, 'get', '/bed-check/', '--prefix', '--print-value-only']);
    expect(get.stdout.split('\n').filter(Boolean)).toEqual(['1', '2']);
  });
});
