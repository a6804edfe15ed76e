import { describe, expect, it } from 'vitest';
import { errnoError, fixtureFs } from '../stats/fixture-fs';
import {
  decodeThrottled,
  execFileRunner,
  parseThrottled,
  readPiHealth,
  type CommandRunner,
  type PiHealth,
} from './pi-health';

const PI4_MODEL = 'Raspberry Pi 4 Model B Rev 1.4\0';

/** A runner that answers from a table, records its calls, and can fail or hang. */
function fakeRunner(answers: Record<string, string | Error | 'hang'>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run(file, args, { timeoutMs }) {
      const key = [file, ...args].join(' ');
      calls.push(key);
      const a = answers[key];
      if (a === undefined) return Promise.reject(new Error(`spawn ${file} ENOENT`));
      if (a instanceof Error) return Promise.reject(a);
      if (a === 'hang') return new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), 1));
      return Promise.resolve(a);
    },
  };
}

describe('readPiHealth', () => {
  const cases: {
    name: string;
    files: Record<string, string | Error>;
    commands?: Record<string, string | Error | 'hang'>;
    want: PiHealth;
    wantCalls?: string[];
  }[] = [
    {
      name: 'this VM: nothing present, all unknown',
      files: {},
      want: { health: {} },
      wantCalls: [],
    },
    {
      name: 'Pi 4 with sysfs get_throttled (no spawn)',
      files: {
        '/proc/device-tree/model': PI4_MODEL,
        '/sys/class/thermal/thermal_zone0/temp': '48312\n',
        '/sys/devices/platform/soc/soc:firmware/get_throttled': '50005\n',
        '/usr/bin/vcgencmd': '',
      },
      want: {
        boardModel: 'Raspberry Pi 4 Model B Rev 1.4',
        health: { socTemperatureCelsius: 48.312, throttled: true, underVoltage: true, frequencyCapped: false },
        throttledFlags: {
          underVoltage: true,
          frequencyCapped: false,
          throttled: true,
          softTempLimit: false,
          underVoltageOccurred: true,
          frequencyCappedOccurred: false,
          throttledOccurred: true,
          softTempLimitOccurred: false,
        },
      },
      wantCalls: [],
    },
    {
      name: 'Pi 3 with vcgencmd only, healthy: flags false, not unknown',
      files: {
        '/proc/device-tree/model': 'Raspberry Pi 3 Model B Plus Rev 1.3\0',
        '/sys/class/thermal/thermal_zone0/temp': '39704\n',
        '/usr/bin/vcgencmd': '',
      },
      commands: { '/usr/bin/vcgencmd get_throttled': 'throttled=0x0\n' },
      want: {
        boardModel: 'Raspberry Pi 3 Model B Plus Rev 1.3',
        health: { socTemperatureCelsius: 39.704, throttled: false, underVoltage: false, frequencyCapped: false },
        throttledFlags: decodeThrottled(0),
      },
      wantCalls: ['/usr/bin/vcgencmd get_throttled'],
    },
    {
      name: 'old image with vcgencmd in /opt/vc/bin, frequency capped since boot only',
      files: { '/opt/vc/bin/vcgencmd': '' },
      commands: { '/opt/vc/bin/vcgencmd get_throttled': 'throttled=0x20000\n' },
      want: {
        health: { throttled: false, underVoltage: false, frequencyCapped: false },
        throttledFlags: { ...decodeThrottled(0), frequencyCappedOccurred: true },
      },
      wantCalls: ['/opt/vc/bin/vcgencmd get_throttled'],
    },
    {
      name: 'vcgencmd without access to the firmware: throttling unknown',
      files: { '/proc/device-tree/model': PI4_MODEL, '/usr/bin/vcgencmd': '' },
      commands: { '/usr/bin/vcgencmd get_throttled': new Error('VCHI initialization failed') },
      want: { boardModel: 'Raspberry Pi 4 Model B Rev 1.4', health: {} },
      wantCalls: ['/usr/bin/vcgencmd get_throttled'],
    },
    {
      name: 'vcgencmd hangs past its timeout: throttling unknown',
      files: { '/usr/bin/vcgencmd': '' },
      commands: { '/usr/bin/vcgencmd get_throttled': 'hang' },
      want: { health: {} },
      wantCalls: ['/usr/bin/vcgencmd get_throttled'],
    },
    {
      name: 'vcgencmd prints something unexpected: throttling unknown',
      files: { '/usr/bin/vcgencmd': '' },
      commands: { '/usr/bin/vcgencmd get_throttled': 'error=1 error_msg="Command not registered"\n' },
      want: { health: {} },
    },
    {
      name: 'thermal zone that cannot be read (EINVAL) and an empty model: unknown',
      files: {
        '/proc/device-tree/model': '\0',
        '/sys/class/thermal/thermal_zone0/temp': errnoError('EINVAL', '/sys/class/thermal/thermal_zone0/temp'),
      },
      want: { health: {} },
    },
    {
      name: 'model from /sys/firmware/devicetree when /proc/device-tree is absent',
      files: { '/sys/firmware/devicetree/base/model': 'Raspberry Pi Zero 2 W Rev 1.0\0' },
      want: { boardModel: 'Raspberry Pi Zero 2 W Rev 1.0', health: {} },
    },
    {
      name: 'temperature 0 °C is a reading, not unknown',
      files: { '/sys/class/thermal/thermal_zone0/temp': '0\n' },
      want: { health: { socTemperatureCelsius: 0 } },
    },
  ];

  it.each(cases)('$name', async ({ files, commands, want, wantCalls }) => {
    const runner = fakeRunner(commands ?? {});
    const got = await readPiHealth({ fs: fixtureFs(files), commands: runner, timeoutMs: 50 });
    expect(got).toEqual(want);
    if (wantCalls) expect(runner.calls).toEqual(wantCalls);
  });
});

describe('parseThrottled', () => {
  it.each([
    { name: 'vcgencmd output', text: 'throttled=0x50005\n', want: 0x50005 },
    { name: 'sysfs bare hex', text: '50005\n', want: 0x50005 },
    { name: 'zero', text: 'throttled=0x0', want: 0 },
    { name: 'garbage', text: 'VCHI initialization failed', want: undefined },
    { name: 'empty', text: '', want: undefined },
  ])('$name', ({ text, want }) => {
    expect(parseThrottled(text)).toBe(want);
  });
});

describe('decodeThrottled', () => {
  it.each([
    { name: 'soft temperature limit now', bits: 0x8, key: 'softTempLimit' as const },
    { name: 'throttled since boot', bits: 0x40000, key: 'throttledOccurred' as const },
    { name: 'soft limit since boot', bits: 0x80000, key: 'softTempLimitOccurred' as const },
    { name: 'under-voltage since boot', bits: 0x10000, key: 'underVoltageOccurred' as const },
  ])('$name', ({ bits, key }) => {
    const flags = decodeThrottled(bits);
    expect(Object.entries(flags).filter(([, v]) => v).map(([k]) => k)).toEqual([key]);
  });
});

describe('execFileRunner', () => {
  it.each([
    { name: 'stdout of a program', file: 'sh', args: ['-c', 'echo throttled=0x0'], timeoutMs: 5000, want: /^throttled=0x0\n$/ },
  ])('$name', async ({ file, args, timeoutMs, want }) => {
    expect(await execFileRunner.run(file, args, { timeoutMs })).toMatch(want);
  });

  it.each([
    { name: 'missing program', file: '/nonexistent/vcgencmd', args: ['get_throttled'], timeoutMs: 5000, want: /vcgencmd get_throttled failed/ },
    { name: 'non-zero exit', file: 'sh', args: ['-c', 'exit 3'], timeoutMs: 5000, want: /failed/ },
    { name: 'timeout kills it', file: 'sleep', args: ['5'], timeoutMs: 100, want: /sleep 5 failed/ },
  ])('$name', async ({ file, args, timeoutMs, want }) => {
    await expect(execFileRunner.run(file, args, { timeoutMs })).rejects.toThrow(want);
  });
});
