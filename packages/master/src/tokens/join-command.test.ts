import { describe, expect, it } from 'vitest';
import { installCommand, joinCommand } from './join-command';

const pin = `sha256:${'ab'.repeat(32)}`;

describe('joinCommand', () => {
  it.each([
    ['node', undefined, `orchard-agent join 192.168.1.10:7443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${pin}`],
    ['master', 'master' as const, `orchard-master join 192.168.1.10:7443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${pin}`],
  ])('prints the %s join command', (_name, usage, expected) => {
    expect(joinCommand({ server: '192.168.1.10:7443', token: 'abcdef.0123456789abcdef', caPin: pin, usage })).toBe(expected);
  });

  it('prints the installer form', () => {
    expect(installCommand({ server: 'm:7443', token: 'abcdef.0123456789abcdef', caPin: pin })).toBe(
      `sudo deploy/install.sh agent --join m:7443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${pin}`,
    );
  });
});
