import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommanderError, FlagError, parseFlags, parseReserved, parseServers } from './flags';

afterEach(() => {
  delete process.env.ORCHARD_SERVER;
});

describe('parseFlags', () => {
  it('applies the defaults', () => {
    const c = parseFlags(['--server', 'm1:7443']);
    expect(c).toEqual({
      servers: ['m1:7443'],
      nodeName: os.hostname().toLowerCase(),
      dockerSocket: '/var/run/docker.sock',
      pauseImage: 'registry.k8s.io/pause:3.10',
      dataDir: '/var/lib/orchard-agent',
      systemReserved: { cpuMillis: 250, memoryBytes: 256 * 1024 * 1024 },
      maxPods: 110,
      logLevel: 'info',
      piHealthRoot: '/',
    });
  });

  it('reads every flag', () => {
    const c = parseFlags([
      '--server', '10.0.0.1:7443,10.0.0.2',
      '--node-name', 'pi1',
      '--docker-socket', 'unix:///run/docker.sock',
      '--pause-image', 'orchard-test/pause:1',
      '--data-dir', '/tmp/a',
      '--system-reserved', 'cpu=500m',
      '--max-pods', '20',
      '--log-level', 'debug',
      '--pi-health-root', '/tmp/fake-pi',
    ]);
    expect(c).toMatchObject({
      servers: ['10.0.0.1:7443', '10.0.0.2:7443'],
      nodeName: 'pi1',
      dockerSocket: '/run/docker.sock',
      pauseImage: 'orchard-test/pause:1',
      dataDir: '/tmp/a',
      systemReserved: { cpuMillis: 500, memoryBytes: 0 },
      maxPods: 20,
      logLevel: 'debug',
      piHealthRoot: '/tmp/fake-pi',
    });
  });

  it('takes the server list from ORCHARD_SERVER', () => {
    process.env.ORCHARD_SERVER = '127.0.0.1:23443';
    expect(parseFlags([]).servers).toEqual(['127.0.0.1:23443']);
  });

  const bad = [
    { name: 'no server', argv: [], message: '--server (or ORCHARD_SERVER) is required' },
    { name: 'bad port', argv: ['--server', 'm1:99999'], message: '--server: invalid address "m1:99999"' },
    { name: 'bad reserve', argv: ['--server', 'm', '--system-reserved', 'cpu=lots'], message: '--system-reserved: invalid "cpu=lots"' },
    { name: 'unknown reserve key', argv: ['--server', 'm', '--system-reserved', 'disk=1Gi'], message: '--system-reserved: invalid "disk=1Gi"' },
    { name: 'zero max pods', argv: ['--server', 'm', '--max-pods', '0'], message: '--max-pods: want a positive integer' },
    { name: 'bad node name', argv: ['--server', 'm', '--node-name', 'pi_1'], message: '--node-name: "pi_1" is not a valid node name' },
  ];
  it.each(bad)('rejects $name', ({ argv, message }) => {
    expect(() => parseFlags(argv)).toThrow(FlagError);
    expect(() => parseFlags(argv)).toThrow(message);
  });

  it('lists every flag in --help', () => {
    let out = '';
    let err: unknown;
    try {
      parseFlags(['--help'], { writeOut: (s) => (out += s) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).exitCode).toBe(0);
    for (const flag of ['--server', '--node-name', '--docker-socket', '--pause-image', '--data-dir', '--system-reserved', '--max-pods', '--log-level']) {
      expect(out).toContain(flag);
    }
  });

  it('rejects unknown flags', () => {
    expect(() => parseFlags(['--server', 'm', '--nodename', 'x'], { writeErr: () => undefined })).toThrow(CommanderError);
  });
});

describe('--config', () => {
  const files: string[] = [];
  afterEach(() => {
    for (const d of files.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const config = (text: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orchard-agent-flags-'));
    files.push(dir);
    const file = path.join(dir, 'agent.yaml');
    writeFileSync(file, text);
    return file;
  };

  it('reads settings by long flag name; the command line wins', () => {
    const file = config('server: 10.0.0.1:7443\nnode-name: pi3\nmax-pods: 30\nlog-level: warn\n');
    expect(parseFlags(['--config', file])).toMatchObject({ servers: ['10.0.0.1:7443'], nodeName: 'pi3', maxPods: 30, logLevel: 'warn' });
    expect(parseFlags(['--config', file, '--node-name', 'pi4']).nodeName).toBe('pi4');
  });

  it.each([
    { name: 'an unknown setting', text: 'server: a\nnodename: x\n', message: '--config: unknown setting "nodename"' },
    { name: 'a nested value', text: 'server:\n  - a\n', message: '--config: setting "server"' },
    { name: 'not a map', text: '- a\n', message: 'must be a map of settings' },
  ])('rejects $name', ({ text, message }) => {
    const file = config(text);
    expect(() => parseFlags(['--config', file])).toThrow(message);
  });

  it('names a missing file', () => {
    expect(() => parseFlags(['--config', '/nonexistent/agent.yaml'])).toThrow('--config: cannot read /nonexistent/agent.yaml');
  });
});

describe('parseServers / parseReserved', () => {
  it.each([
    ['a:1', ['a:1']],
    ['a, b:2', ['a:7443', 'b:2']],
    ['[::1]:7443', ['[::1]:7443']],
  ])('%s', (v, want) => expect(parseServers(v)).toEqual(want));
  it('parses memory-only reserve', () => expect(parseReserved('memory=1Gi')).toEqual({ cpuMillis: 0, memoryBytes: 1024 ** 3 }));
});
