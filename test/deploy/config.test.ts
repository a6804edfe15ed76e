import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
// The programs' own flag definitions: the example configs must not drift from them.
import { masterCommand, parseMasterFlags } from '../../packages/master/src/flags';
import { agentCommand, parseFlags as parseAgentFlags } from '../../packages/agent/src/flags';
import { DEPLOY_DIR, tempDir, writeFile } from './fixtures';

const example = (name: string) => path.join(DEPLOY_DIR, 'config', name);
const longNames = (options: readonly { long?: string }[]) => new Set(options.map((o) => o.long?.replace(/^--/, '')));

describe('example configuration files', () => {
  it('master.yaml is accepted by orchard-master --config', () => {
    const flags = parseMasterFlags(['node', 'orchard-master', '--config', example('master.yaml')], { throwOnError: true });
    expect(flags).toMatchObject({ etcd: ['http://127.0.0.1:2379'], dataDir: '/var/lib/orchard', listen: '0.0.0.0:7443' });
  });

  it('agent.yaml, with the master address install.sh puts in, is accepted by orchard-agent --config', () => {
    const tmp = tempDir('orchard-agent-config-');
    try {
      const file = `${tmp.dir}/agent.yaml`;
      const text = fs.readFileSync(example('agent.yaml'), 'utf8');
      expect(text).toMatch(/^server: MASTER:7443$/m);
      writeFile(file, text.replace(/^server: MASTER:7443$/m, 'server: 192.168.1.10:7443'));
      expect(parseAgentFlags(['--config', file])).toMatchObject({
        servers: ['192.168.1.10:7443'],
        dataDir: '/var/lib/orchard-agent',
        dockerSocket: '/var/run/docker.sock',
      });
    } finally {
      tmp.cleanup();
    }
  });

  it.each([
    ['master.yaml', () => longNames(masterCommand().options)],
    ['agent.yaml', () => longNames(agentCommand().options)],
  ])('%s uses only flag names (also in its commented-out examples)', (file, names) => {
    const text = fs.readFileSync(example(file), 'utf8');
    const keys = [...text.matchAll(/^#? ?([a-z][a-z-]*):(?: |$)/gm)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(3);
    const known = names();
    expect(keys.filter((k) => !known.has(k))).toEqual([]);
    // The active settings are a flat map of single values.
    for (const value of Object.values(parseYaml(text) as Record<string, unknown>)) expect(typeof value).not.toBe('object');
  });

  it('the data folders of the examples are the units\' StateDirectory', () => {
    const master = parseYaml(fs.readFileSync(example('master.yaml'), 'utf8')) as Record<string, string>;
    const agent = parseYaml(fs.readFileSync(example('agent.yaml'), 'utf8')) as Record<string, string>;
    const unit = (name: string) => fs.readFileSync(path.join(DEPLOY_DIR, 'systemd', name), 'utf8');
    expect(unit('orchard-master.service')).toMatch(new RegExp(`^StateDirectory=${path.basename(master['data-dir']!)}$`, 'm'));
    expect(unit('orchard-agent.service')).toMatch(new RegExp(`^StateDirectory=${path.basename(agent['data-dir']!)}$`, 'm'));
  });
});
