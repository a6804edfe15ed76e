import { describe, expect, it } from 'vitest';
import { configFiles, loadClientConfig, parseClientConfig } from './client-config';
import { chooseServers } from './context';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('client configuration', () => {
  it('reads ~/.orchard/config, then ORCHARD_CONFIG, then --config; later settings win', () => {
    const files: Record<string, string> = {
      '/home/u/.orchard/config': `masters: [a:7443]\ncertificateAuthority: |\n  ${PEM.trim().split('\n').join('\n  ')}\n`,
      '/env.conf': 'masters: [b:7443]\n',
      '/flag.conf': 'masters: [c:7443, d:7443]\n',
    };
    const read = (f: string) => {
      if (!(f in files)) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
      return files[f]!;
    };
    const env = (n: string) => (n === 'ORCHARD_CONFIG' ? '/env.conf' : undefined);
    expect(configFiles(env, '/flag.conf', '/home/u').map((f) => f.file)).toEqual(['/home/u/.orchard/config', '/env.conf', '/flag.conf']);
    const cfg = loadClientConfig(env, '/flag.conf', read, '/home/u');
    expect(cfg.masters).toEqual(['c:7443', 'd:7443']);
    expect(cfg.certificateAuthority).toBe(PEM);
    expect(loadClientConfig(env, undefined, read, '/home/u').masters).toEqual(['b:7443']);
    // A missing ~/.orchard/config is fine; a named file must exist.
    expect(loadClientConfig(() => undefined, undefined, read, '/nowhere')).toEqual({});
    expect(() => loadClientConfig(() => undefined, '/missing.conf', read, '/nowhere')).toThrow(/cannot read the client configuration \/missing.conf/);
  });

  const bad: Array<{ name: string; text: string; error: RegExp }> = [
    { name: 'unknown setting', text: 'server: x\n', error: /f: unknown setting "server"/ },
    { name: 'masters not a list', text: 'masters: a:1\n', error: /masters must be a list/ },
    { name: 'CA not PEM', text: 'certificateAuthority: abc\n', error: /certificateAuthority must be a PEM block/ },
    { name: 'not a map', text: '- a\n', error: /must be a map/ },
    { name: 'a connect timeout that is not a duration', text: 'connectTimeout: soon\n', error: /^f: connectTimeout: invalid duration "soon"/ },
    { name: 'a connect timeout of zero', text: 'connectTimeout: 0s\n', error: /^f: connectTimeout: it must be more than 0$/ },
    { name: 'a connect timeout that is a list', text: 'connectTimeout: [1s]\n', error: /^f: connectTimeout must be a duration such as 3s or 500ms$/ },
  ];
  for (const tc of bad) {
    it(`refuses a configuration with ${tc.name}`, () => {
      expect(() => parseClientConfig(tc.text, 'f')).toThrow(tc.error);
    });
  }

  it('reads connectTimeout as a duration (a bare number is seconds)', () => {
    expect(parseClientConfig('connectTimeout: 1500ms\n', 'f').connectTimeout).toBe('1500ms');
    expect(parseClientConfig('connectTimeout: 2\n', 'f').connectTimeout).toBe('2');
  });

  const servers: Array<{ name: string; flag?: string; env?: string; configured?: string[]; want: string[] }> = [
    { name: '--server wins', flag: 'f:1', env: 'e:1', configured: ['c:1'], want: ['f:1'] },
    { name: 'ORCHARD_SERVER over the configuration', env: 'e:1,e:2', configured: ['c:1'], want: ['e:1', 'e:2'] },
    { name: 'the configuration', configured: ['c:1', 'c:2'], want: ['c:1', 'c:2'] },
    { name: 'the default', want: ['127.0.0.1:7443'] },
  ];
  for (const tc of servers) {
    it(`chooses masters: ${tc.name}`, () => {
      expect(chooseServers(tc.flag, tc.env, tc.configured)).toEqual(tc.want);
    });
  }
});
