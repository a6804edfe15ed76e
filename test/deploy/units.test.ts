import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIR, parseUnit, run, tempDir, writeFile } from './fixtures';

const UNITS = ['orchard-master.service', 'orchard-agent.service', 'orchard-etcd.service'];
const unitText = (name: string) => fs.readFileSync(path.join(DEPLOY_DIR, 'systemd', name), 'utf8');

/**
 * systemd-analyze verify needs the units' dependencies (targets, docker.service) and the
 * ExecStart programs to exist. A throwaway root holds the host's unit files, stub
 * programs at the paths the units name, and a stand-in docker.service when docker.io is
 * not installed on this machine.
 */
let root: ReturnType<typeof tempDir>;
beforeAll(() => {
  const which = run('sh', ['-c', 'command -v systemd-analyze']);
  if (which.code !== 0) throw new Error('systemd-analyze not found: apt-get install systemd (it need not run as init)');
  root = tempDir('orchard-units-');
  const r = root.dir;
  fs.cpSync('/usr/lib/systemd/system', path.join(r, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  fs.symlinkSync('usr/lib', path.join(r, 'lib'));
  if (!fs.existsSync(path.join(r, 'usr/lib/systemd/system/docker.service'))) {
    writeFile(path.join(r, 'usr/lib/systemd/system/docker.service'), '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n');
  }
  for (const bin of ['usr/local/bin/orchard-master', 'usr/local/bin/orchard-agent', 'usr/bin/etcd']) {
    writeFile(path.join(r, bin), '#!/bin/sh\n', 0o755);
  }
  for (const unit of UNITS) writeFile(path.join(r, 'etc/systemd/system', unit), unitText(unit));
});
afterAll(() => root?.cleanup());

function verify(unit: string) {
  return run('systemd-analyze', ['verify', `--root=${root.dir}`, '--man=no', '--generators=no', path.join(root.dir, 'etc/systemd/system', unit)]);
}

describe('systemd-analyze verify', () => {
  it.each(UNITS)('%s has no errors or warnings', (unit) => {
    const r = verify(unit);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('reports a broken unit (the check is not vacuous)', () => {
    const broken = unitText('orchard-master.service').replace('Restart=always', 'Restart=sometimes').replace('ProtectHome=yes', 'ProtectHom=yes');
    writeFile(path.join(root.dir, 'etc/systemd/system/broken.service'), broken);
    const r = verify('broken.service');
    expect(r.stderr).toContain('Failed to parse service restart specifier');
    expect(r.stderr).toContain("Unknown key 'ProtectHom'");
  });
});

describe('unit contents', () => {
  const units = Object.fromEntries(UNITS.map((u) => [u, parseUnit(unitText(u))]));
  const get = (unit: string, section: string, key: string) => units[unit]!.get(section)?.get(key) ?? [];
  const words = (unit: string, section: string, key: string) => get(unit, section, key).flatMap((v) => v.split(/\s+/));

  it.each(UNITS)('%s restarts forever and waits for the network', (unit) => {
    expect(get(unit, 'Service', 'Restart')).toEqual(['always']);
    expect(get(unit, 'Unit', 'StartLimitIntervalSec')).toEqual(['0']);
    expect(words(unit, 'Unit', 'After')).toContain('network-online.target');
    expect(words(unit, 'Unit', 'Wants')).toContain('network-online.target');
    expect(get(unit, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
  });

  it('the agent requires and follows docker.service', () => {
    expect(words('orchard-agent.service', 'Unit', 'Requires')).toContain('docker.service');
    expect(words('orchard-agent.service', 'Unit', 'After')).toContain('docker.service');
  });

  it('the master is hardened and starts after the local etcd', () => {
    const s = (key: string) => get('orchard-master.service', 'Service', key);
    expect(s('NoNewPrivileges')).toEqual(['yes']);
    expect(s('ProtectSystem')).toEqual(['full']);
    expect(s('ProtectHome')).toEqual(['yes']);
    expect(s('PrivateTmp')).toEqual(['yes']);
    expect(s('CapabilityBoundingSet')).toEqual(['']);
    expect(words('orchard-master.service', 'Unit', 'After')).toContain('orchard-etcd.service');
  });

  it('the agent has no option that would give it a private mount namespace or block Docker work', () => {
    const service = units['orchard-agent.service']!.get('Service')!;
    for (const key of ['ProtectSystem', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ReadOnlyPaths', 'NoNewPrivileges', 'CapabilityBoundingSet', 'User']) {
      expect(service.has(key), key).toBe(false);
    }
  });

  it.each(['orchard-master.service', 'orchard-agent.service'])('%s allows the JIT of Node.js (no MemoryDenyWriteExecute)', (unit) => {
    expect(units[unit]!.get('Service')!.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('etcd runs as the etcd user with its settings from /etc/orchard/etcd.env and replaces Debian etcd.service', () => {
    expect(get('orchard-etcd.service', 'Service', 'User')).toEqual(['etcd']);
    expect(get('orchard-etcd.service', 'Service', 'EnvironmentFile')).toEqual(['/etc/orchard/etcd.env']);
    expect(get('orchard-etcd.service', 'Unit', 'Conflicts')).toEqual(['etcd.service']);
    expect(get('orchard-etcd.service', 'Service', 'StateDirectory')).toEqual(['orchard-etcd']);
    const env = fs.readFileSync(path.join(DEPLOY_DIR, 'config/etcd.env'), 'utf8');
    expect(env).toContain('ETCD_DATA_DIR=/var/lib/orchard-etcd');
  });

  it.each([
    ['orchard-master.service', '/usr/local/bin/orchard-master --config /etc/orchard/master.yaml'],
    ['orchard-agent.service', '/usr/local/bin/orchard-agent --config /etc/orchard/agent.yaml'],
  ])('%s starts the installed command with the installed config', (unit, execStart) => {
    expect(get(unit, 'Service', 'ExecStart')).toEqual([execStart]);
  });
});
