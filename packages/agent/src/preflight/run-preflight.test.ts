import { describe, expect, it } from 'vitest';
import { MOUNTINFO_PI_BOOKWORM_V2 } from '../stats/cgroup-fixtures';
import { fixtureFs } from '../stats/fixture-fs';
import type { DockerPing, DockerProbe } from './docker-probe';
import { MEMORY_CGROUP_DISABLED } from './memory-cgroup-check';
import { formatPreflightFailures, hostPreflightDeps, runPreflight } from './run-preflight';

const piFs = (controllers: string) =>
  fixtureFs({ '/proc/self/mountinfo': MOUNTINFO_PI_BOOKWORM_V2, '/sys/fs/cgroup/cgroup.controllers': controllers });

const probe = (ping: DockerPing | Error): DockerProbe => ({
  ping: async () => {
    if (ping instanceof Error) throw ping;
    return ping;
  },
});

describe('runPreflight', () => {
  const cases: {
    name: string;
    controllers: string;
    ping: DockerPing | Error;
    wantFailures: { name: string; message: string | RegExp }[];
  }[] = [
    { name: 'a ready Pi', controllers: 'cpu memory pids', ping: { ok: true, apiVersion: '1.41' }, wantFailures: [] },
    {
      name: 'a fresh Pi: memory cgroup off and no Docker, both reported',
      controllers: 'cpu pids',
      ping: { ok: false, reason: 'missing', detail: 'ENOENT' },
      wantFailures: [
        { name: 'memory-cgroup', message: MEMORY_CGROUP_DISABLED },
        { name: 'docker-socket', message: /^no Docker socket at \/var\/run\/docker\.sock: install Docker/ },
      ],
    },
    {
      name: 'not permitted on the socket only',
      controllers: 'cpu memory',
      ping: { ok: false, reason: 'permission', detail: 'EACCES' },
      wantFailures: [{ name: 'docker-socket', message: /^permission denied on \/var\/run\/docker\.sock/ }],
    },
    {
      name: 'a probe that throws is a failed check, the others still run',
      controllers: 'cpu pids',
      ping: new Error('socket exploded'),
      wantFailures: [
        { name: 'memory-cgroup', message: MEMORY_CGROUP_DISABLED },
        { name: 'docker-socket', message: 'the docker-socket check could not run: socket exploded' },
      ],
    },
  ];
  it.each(cases)('$name', async ({ controllers, ping, wantFailures }) => {
    const report = await runPreflight({ dockerSocket: '/var/run/docker.sock' }, { fs: piFs(controllers), docker: probe(ping) });
    expect(report.ok).toBe(wantFailures.length === 0);
    expect(report.results.map((r) => r.name)).toEqual(['memory-cgroup', 'docker-socket']);
    expect(report.failures).toHaveLength(wantFailures.length);
    report.failures.forEach((f, i) => {
      expect(f.name).toBe(wantFailures[i].name);
      if (typeof wantFailures[i].message === 'string') expect(f.message).toBe(wantFailures[i].message);
      else expect(f.message).toMatch(wantFailures[i].message);
    });
  });

  it('formats every failure on its own line', async () => {
    const report = await runPreflight(
      { dockerSocket: '/run/docker.sock' },
      { fs: piFs('cpu'), docker: probe({ ok: false, reason: 'permission', detail: 'EACCES' }) },
    );
    expect(formatPreflightFailures(report)).toBe(
      [
        'orchard-agent cannot start: 2 preflight check(s) failed',
        `  - memory-cgroup: ${MEMORY_CGROUP_DISABLED}`,
        '  - docker-socket: permission denied on /run/docker.sock: run orchard-agent as root or add its user to the docker group',
      ].join('\n'),
    );
  });

  it('nothing to print when all pass', async () => {
    const report = await runPreflight({ dockerSocket: '/run/docker.sock' }, { fs: piFs('memory'), docker: probe({ ok: true }) });
    expect([report.ok, formatPreflightFailures(report)]).toEqual([true, '']);
  });

  it('passes on this host with its running Docker engine', async () => {
    const report = await runPreflight({ dockerSocket: 'unix:///var/run/docker.sock' }, hostPreflightDeps());
    expect(report.failures).toEqual([]);
  });
});
