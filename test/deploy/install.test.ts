import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allText,
  DEPLOY_DIR,
  INSTALL,
  makeSourceTree,
  makeSysfs,
  makeTargetRoot,
  run,
  snapshot,
  tempDir,
  UNINSTALL,
  writeFile,
} from './fixtures';

const TOKEN = 'abcdef.0123456789abcdef';
const SECRET = '0123456789abcdef';
const HASH = `sha256:${'ab'.repeat(32)}`;
const JOIN = ['--join', '192.168.1.10:7443', '--token', TOKEN, '--discovery-token-ca-cert-hash', HASH];

let work: ReturnType<typeof tempDir>;
let root: string;
let source: string;
let sysfs: string;
let stubs: string;

/** A program on PATH that logs its calls and prints `output` (stand-ins for uname, node, apt-cache...). */
function stub(name: string, script: string): void {
  writeFile(path.join(stubs, name), `#!/bin/sh\necho "${name} $*" >> "${stubs}/calls.log"\n${script}\n`, 0o755);
}
const calls = () => (fs.existsSync(path.join(stubs, 'calls.log')) ? fs.readFileSync(path.join(stubs, 'calls.log'), 'utf8') : '');

function env(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${stubs}:${process.env.PATH}`, ORCHARD_INSTALL_SYSFS: sysfs };
}
const install = (...args: string[]) => run('bash', [INSTALL, ...args], env());
const installInRoot = (...args: string[]) => install(...args, '--root', root, '--source', source, '--no-build');
const uninstall = (...args: string[]) => run('bash', [UNINSTALL, '--root', root, ...args], env());
const inRoot = (p: string) => path.join(root, p);

beforeEach(() => {
  work = tempDir('orchard-install-');
  root = path.join(work.dir, 'root');
  source = path.join(work.dir, 'src');
  sysfs = path.join(work.dir, 'sys');
  stubs = path.join(work.dir, 'bin');
  fs.mkdirSync(stubs);
  makeTargetRoot(root);
  makeSourceTree(source);
  makeSysfs(sysfs, 'v2');
});
afterEach(() => work.cleanup());

describe('install.sh master --root, then uninstall.sh', () => {
  it('installs Orchard, its configuration and units, enables them for boot, and uninstall removes exactly that', () => {
    const before = snapshot(root);
    const r = installInRoot('master');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('memory cgroup: enabled');
    expect(r.stdout).toContain(`Orchard master installed into ${root}`);

    // The tree, without .git and test/.
    expect(fs.existsSync(inRoot('opt/orchard/packages/master/bin/orchard-master'))).toBe(true);
    expect(fs.existsSync(inRoot('opt/orchard/.git'))).toBe(false);
    expect(fs.existsSync(inRoot('opt/orchard/test'))).toBe(false);
    for (const bin of ['orchard-master', 'orchard-agent', 'orchard']) {
      expect(fs.readlinkSync(inRoot(`usr/local/bin/${bin}`))).toMatch(new RegExp(`^/opt/orchard/packages/\\w+/bin/${bin}$`));
    }
    // Configuration.
    expect(fs.readFileSync(inRoot('etc/orchard/master.yaml'), 'utf8')).toBe(fs.readFileSync(path.join(DEPLOY_DIR, 'config/master.yaml'), 'utf8'));
    const etcdEnv = fs.readFileSync(inRoot('etc/orchard/etcd.env'), 'utf8');
    expect(etcdEnv).toContain('ETCD_NAME=pi-test\n');
    expect(etcdEnv).toContain('ETCD_INITIAL_CLUSTER=pi-test=http://127.0.0.1:2380\n');
    expect(etcdEnv).not.toContain('@');
    expect(etcdEnv).not.toMatch(/^ETCD_UNSUPPORTED_ARCH=/m);
    const secretFile = inRoot('etc/orchard/server-secret');
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(secretFile, 'utf8')).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    // Units, enabled for the next boot.
    for (const unit of ['orchard-etcd.service', 'orchard-master.service']) {
      expect(fs.readFileSync(inRoot(`etc/systemd/system/${unit}`), 'utf8')).toBe(fs.readFileSync(path.join(DEPLOY_DIR, 'systemd', unit), 'utf8'));
      expect(fs.readlinkSync(inRoot(`etc/systemd/system/multi-user.target.wants/${unit}`))).toBe(`/etc/systemd/system/${unit}`);
    }
    expect(fs.existsSync(inRoot('etc/systemd/system/orchard-agent.service'))).toBe(false);

    const u = uninstall();
    expect(u.stderr).toBe('');
    expect(u.code).toBe(0);
    expect(snapshot(root)).toEqual(before);
  });

  it('on 32-bit ARM lets etcd run (ETCD_UNSUPPORTED_ARCH=arm)', () => {
    stub('uname', 'echo armv7l');
    expect(installInRoot('master').code).toBe(0);
    expect(fs.readFileSync(inRoot('etc/orchard/etcd.env'), 'utf8')).toContain('\nETCD_UNSUPPORTED_ARCH=arm\n');
  });

  it('installs the --config file as master.yaml', () => {
    const config = path.join(work.dir, 'my-master.yaml');
    writeFile(config, 'listen: 0.0.0.0:7443\nname: m1\n');
    expect(installInRoot('master', '--config', config).code).toBe(0);
    expect(fs.readFileSync(inRoot('etc/orchard/master.yaml'), 'utf8')).toBe('listen: 0.0.0.0:7443\nname: m1\n');
  });

  it('a second run keeps edited configuration and the server secret, and uninstall still removes everything', () => {
    const before = snapshot(root);
    expect(installInRoot('master').code).toBe(0);
    const secret = fs.readFileSync(inRoot('etc/orchard/server-secret'), 'utf8');
    fs.appendFileSync(inRoot('etc/orchard/master.yaml'), 'log-level: debug\n');
    const again = installInRoot('master');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('keeping existing /etc/orchard/master.yaml');
    expect(fs.readFileSync(inRoot('etc/orchard/master.yaml'), 'utf8')).toMatch(/log-level: debug\n$/);
    expect(fs.readFileSync(inRoot('etc/orchard/server-secret'), 'utf8')).toBe(secret);
    // Each entry once, however often install.sh runs.
    const entries = fs.readFileSync(inRoot('var/lib/orchard-install.manifest'), 'utf8').split('\n').filter(Boolean);
    expect(new Set(entries).size).toBe(entries.length);
    expect(uninstall().code).toBe(0);
    expect(snapshot(root)).toEqual(before);
  });

  it('replaces Debian etcd.service while installed and enables it again on uninstall', () => {
    writeFile(inRoot('usr/lib/systemd/system/etcd.service'), '[Unit]\nDescription=etcd\n[Service]\nExecStart=/usr/bin/etcd\n[Install]\nWantedBy=multi-user.target\n');
    fs.mkdirSync(inRoot('etc/systemd/system/multi-user.target.wants'), { recursive: true });
    fs.symlinkSync('/usr/lib/systemd/system/etcd.service', inRoot('etc/systemd/system/multi-user.target.wants/etcd.service'));
    const before = snapshot(root);
    const r = installInRoot('master');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Disabling Debian's etcd.service");
    expect(fs.existsSync(inRoot('etc/systemd/system/multi-user.target.wants/etcd.service'))).toBe(false);
    expect(uninstall().code).toBe(0);
    // systemctl re-creates the link with its canonical target; the unit is enabled again.
    expect(fs.existsSync(inRoot('etc/systemd/system/multi-user.target.wants/etcd.service'))).toBe(true);
    const normalize = (lines: string[]) => lines.map((l) => l.replace(/link \/(usr\/)?lib\/systemd/, 'link /lib/systemd'));
    expect(normalize(snapshot(root))).toEqual(normalize(before));
  });

  it('keeps cluster data on uninstall unless --purge', () => {
    expect(installInRoot('master').code).toBe(0);
    // What the running services would have written.
    writeFile(inRoot('var/lib/orchard/admin.conf'), 'credentials\n', 0o600);
    writeFile(inRoot('var/lib/orchard-etcd/member/snap/db'), 'data\n', 0o600);
    const kept = uninstall();
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('Kept cluster data: /var/lib/orchard /var/lib/orchard-etcd');
    expect(fs.existsSync(inRoot('var/lib/orchard/admin.conf'))).toBe(true);

    const fresh = tempDir('orchard-purge-');
    try {
      root = fresh.dir;
      makeTargetRoot(root);
      const before = snapshot(root);
      expect(installInRoot('master').code).toBe(0);
      writeFile(inRoot('var/lib/orchard/admin.conf'), 'credentials\n', 0o600);
      writeFile(inRoot('var/lib/orchard-etcd/member/snap/db'), 'data\n', 0o600);
      expect(uninstall('--purge').code).toBe(0);
      expect(snapshot(root)).toEqual(before);
    } finally {
      fresh.cleanup();
    }
  });

  it('refuses to take over an /opt/orchard it did not install', () => {
    writeFile(inRoot('opt/orchard/README'), 'someone else\n');
    const before = snapshot(root);
    const r = installInRoot('master');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/opt/orchard exists and was not installed by this script; move it away first');
    expect(r.stderr).toContain('Nothing was changed.');
    expect(snapshot(root)).toEqual(before);
  });

  it('--dry-run prints the plan and changes nothing', () => {
    const before = snapshot(root);
    const r = installInRoot('master', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`+ write ${root}/etc/orchard/master.yaml (mode 0644)`);
    expect(r.stdout).toContain(`+ write ${root}/etc/orchard/server-secret (mode 0600)`);
    expect(r.stdout).toContain('Dry run: nothing was changed.');
    expect(snapshot(root)).toEqual(before);
  });
});

describe('install.sh agent --root', () => {
  it('writes agent.yaml for the master, never stores or prints the token secret, and uninstalls cleanly', () => {
    const before = snapshot(root);
    const r = installInRoot('agent', ...JOIN, '--node-name', 'pi7');
    expect(r.code).toBe(0);
    const config = fs.readFileSync(inRoot('etc/orchard/agent.yaml'), 'utf8');
    expect(config).toMatch(/^server: 192\.168\.1\.10:7443$/m);
    expect(config).toMatch(/^node-name: pi7$/m);
    expect(r.stdout).toContain(
      `+ /usr/local/bin/orchard-agent join 192.168.1.10:7443 --token abcdef.<secret> --discovery-token-ca-cert-hash ${HASH} --join-only --config /etc/orchard/agent.yaml --node-name pi7`,
    );
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(allText(root)).not.toContain(SECRET);
    expect(fs.readlinkSync(inRoot('etc/systemd/system/multi-user.target.wants/orchard-agent.service'))).toBe('/etc/systemd/system/orchard-agent.service');
    expect(fs.existsSync(inRoot('etc/orchard/server-secret'))).toBe(false);
    expect(uninstall().code).toBe(0);
    expect(snapshot(root)).toEqual(before);
  });

  it.each([
    ['no join arguments', [], '--join MASTER:PORT is required to join a cluster'],
    ['no token', ['--join', '10.0.0.1:7443', '--discovery-token-ca-cert-hash', HASH], '--token ID.SECRET is required'],
    ['a malformed token', ['--join', '10.0.0.1:7443', '--token', 'abc.def', '--discovery-token-ca-cert-hash', HASH], '--token must look like "abcdef.0123456789abcdef"'],
    ['a malformed hash', ['--join', '10.0.0.1:7443', '--token', TOKEN, '--discovery-token-ca-cert-hash', 'sha256:xyz'], '--discovery-token-ca-cert-hash must be "sha256:" followed by 64 hex digits'],
    ['a port out of range', ['--join', '10.0.0.1:70000', '--token', TOKEN, '--discovery-token-ca-cert-hash', HASH], '--join must be MASTER:PORT'],
    ['a missing port', ['--join', '10.0.0.1', '--token', TOKEN, '--discovery-token-ca-cert-hash', HASH], '--join must be MASTER:PORT'],
    ['a bad node name', [...JOIN, '--node-name', 'Pi_7'], '--node-name must be lowercase letters'],
    ['an unknown option', [...JOIN, '--frobnicate'], 'unknown option "--frobnicate"'],
  ])('refuses %s and changes nothing', (_name, args, message) => {
    const before = snapshot(root);
    const r = installInRoot('agent', ...args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('Nothing was changed.');
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses a mode other than master or agent', () => {
    const r = install('node');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('first argument must be "master" or "agent", got "node"');
  });
});

describe('memory cgroup check', () => {
  beforeEach(() => writeFile(inRoot('boot/firmware/cmdline.txt'), 'console=serial0,115200 root=PARTUUID=1234-02 rootwait\n'));

  it('refuses an agent when the memory cgroup is off, explaining the cmdline.txt fix, and changes nothing', () => {
    makeSysfs(sysfs, 'v2-no-memory');
    fs.rmSync(path.join(sysfs, 'fs/cgroup/memory'), { recursive: true, force: true });
    const before = snapshot(root);
    const r = installInRoot('agent', ...JOIN);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the memory cgroup is not enabled in this kernel');
    expect(r.stderr).toContain('cgroup_enable=memory cgroup_memory=1');
    expect(r.stderr).toContain('to the end of the single line in /boot/firmware/cmdline.txt, and reboot');
    expect(r.stderr).toContain('--fix-cmdline');
    expect(r.stderr).toContain('Nothing was changed.');
    expect(snapshot(root)).toEqual(before);
  });

  it('--fix-cmdline appends the two words, and uninstall takes exactly them out again', () => {
    makeSysfs(sysfs, 'v2-no-memory');
    const before = snapshot(root);
    const r = installInRoot('agent', ...JOIN, '--fix-cmdline');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(inRoot('boot/firmware/cmdline.txt'), 'utf8')).toBe(
      'console=serial0,115200 root=PARTUUID=1234-02 rootwait cgroup_enable=memory cgroup_memory=1\n',
    );
    expect(r.stdout).toContain('Reboot now to enable the memory cgroup.');
    expect(uninstall().code).toBe(0);
    expect(snapshot(root)).toEqual(before);
  });

  it('uses /boot/cmdline.txt on older Raspberry Pi OS and says when only a reboot is missing', () => {
    makeSysfs(sysfs, 'v2-no-memory');
    fs.rmSync(inRoot('boot/firmware'), { recursive: true });
    writeFile(inRoot('boot/cmdline.txt'), 'root=/dev/mmcblk0p2 cgroup_enable=memory cgroup_memory=1\n');
    const r = installInRoot('agent', ...JOIN);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('reboot first (the memory cgroup is enabled in /boot/cmdline.txt but not active yet)');
  });

  it('explains the GRUB way where there is no cmdline.txt', () => {
    makeSysfs(sysfs, 'v2-no-memory');
    fs.rmSync(inRoot('boot'), { recursive: true });
    const r = installInRoot('agent', ...JOIN, '--fix-cmdline');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('GRUB_CMDLINE_LINUX in /etc/default/grub');
    expect(r.stderr).toContain("--fix-cmdline only edits a Raspberry Pi's cmdline.txt");
  });

  it('installs a master anyway, with a warning (the master runs no pods)', () => {
    makeSysfs(sysfs, 'v2-no-memory');
    const r = installInRoot('master');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: the memory cgroup is not enabled');
  });

  it('accepts cgroup v1 with a memory hierarchy', () => {
    fs.rmSync(sysfs, { recursive: true });
    makeSysfs(sysfs, 'v1');
    const r = installInRoot('agent', ...JOIN);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('memory cgroup: enabled');
  });
});

describe('install.sh on this machine (--dry-run, package tools replaced by stubs)', () => {
  // apt-get, systemctl and npm stubs log instead of acting, so nothing here can change
  // the host even if the script misbehaved; the assertions check they were never asked to.
  beforeEach(() => {
    stub('apt-get', 'exit 0');
    stub('npm', 'exit 0');
    stub('dpkg-query', 'exit 1');
  });

  it('refuses when Debian only packages Node.js older than 20, saying how to get one, and changes nothing', () => {
    stub('node', 'echo v18.19.0');
    stub('apt-cache', "printf 'nodejs:\\n  Installed: (none)\\n  Candidate: 18.19.0+dfsg-6~deb12u2\\n'");
    const r = install('agent', ...JOIN, '--dry-run');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Orchard needs Node.js 20 or newer, but this system's nodejs package is 18.19.0+dfsg-6~deb12u2");
    expect(r.stderr).toContain('https://github.com/nodesource/distributions');
    expect(r.stderr).toContain('Nothing was changed.');
    expect(calls()).not.toMatch(/^apt-get /m);
    expect(calls()).not.toMatch(/^npm /m);
  });

  it('plans to install docker.io and Debian nodejs 20, build Orchard and join, without doing any of it', () => {
    stub('node', 'exit 127');
    stub('apt-cache', "printf 'nodejs:\\n  Installed: (none)\\n  Candidate: 20.19.2+dfsg-1\\n'");
    const r = install('agent', ...JOIN, '--dry-run');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('node.js: Debian package nodejs 20.19.2+dfsg-1');
    expect(r.stdout).toMatch(/\+ in_target env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker\.io nodejs/);
    expect(r.stdout).toContain('npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev');
    expect(r.stdout).toContain('+ /usr/local/bin/orchard-agent join 192.168.1.10:7443 --token abcdef.<secret>');
    expect(r.stdout).toContain('Dry run: nothing was changed.');
    expect(r.stdout).not.toContain(SECRET);
    expect(calls()).not.toMatch(/^(apt-get|npm|systemctl) /m);
    expect(fs.existsSync('/var/lib/orchard-install.manifest')).toBe(false);
  });

  it('uses a Node.js 20+ already on PATH instead of the Debian package', () => {
    stub('node', 'echo v22.11.0');
    stub('apt-cache', "printf 'nodejs:\\n  Candidate: 18.19.0+dfsg-6~deb12u2\\n'");
    const r = install('master', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('node.js: v22.11.0 (installed)');
    expect(r.stdout).not.toMatch(/apt-get install .*nodejs/);
  });
});
