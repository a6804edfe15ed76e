import { execFile } from 'node:child_process';
import type { NodeHealth } from '@orchard/api/agent';
import type { ReadOnlyFs } from '../stats/read-only-fs';

/**
 * Raspberry Pi health readings: board model, SoC temperature and the firmware's throttling
 * flags. A reading the host does not offer is undefined ("unknown"), never 0 or false: a
 * VM has no SoC temperature, and "not under-voltage" would be a claim nobody measured.
 */

/** Runs a program without a shell. */
export interface CommandRunner {
  /** Resolves with stdout; rejects when the program is missing, fails or outlives the timeout. */
  run(file: string, args: readonly string[], opts: { timeoutMs: number }): Promise<string>;
}

/** The real runner: execFile, killed with SIGKILL at the timeout. */
export const execFileRunner: CommandRunner = {
  run(file, args, { timeoutMs }) {
    return new Promise((resolve, reject) => {
      execFile(file, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (err, stdout) => {
        if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}`, { cause: err }));
        else resolve(stdout);
      });
    });
  },
};

export interface PiHealthDeps {
  fs: ReadOnlyFs;
  commands: CommandRunner;
  /** How long vcgencmd may take; the firmware mailbox can hang on a wedged board. Default 2 s. */
  timeoutMs?: number;
}

/** The flags of the firmware's get_throttled word. */
export interface ThrottledFlags {
  underVoltage: boolean;
  frequencyCapped: boolean;
  throttled: boolean;
  softTempLimit: boolean;
  underVoltageOccurred: boolean;
  frequencyCappedOccurred: boolean;
  throttledOccurred: boolean;
  softTempLimitOccurred: boolean;
}

export interface PiHealth {
  /** The device tree's model ("Raspberry Pi 4 Model B Rev 1.4"), undefined when there is none. */
  boardModel?: string;
  /** The readings for NodeStatus.health; the "now" bits of get_throttled. */
  health: NodeHealth;
  /** All get_throttled flags, "has occurred since boot" included, for logs. */
  throttledFlags?: ThrottledFlags;
}

export const MODEL_FILES = ['/proc/device-tree/model', '/sys/firmware/devicetree/base/model'];
export const THERMAL_FILE = '/sys/class/thermal/thermal_zone0/temp';
export const THROTTLED_FILE = '/sys/devices/platform/soc/soc:firmware/get_throttled';
export const VCGENCMD_PATHS = ['/usr/bin/vcgencmd', '/opt/vc/bin/vcgencmd'];

/** Decodes get_throttled: bits 0-3 are now, bits 16-19 the same since boot. */
export function decodeThrottled(bits: number): ThrottledFlags {
  const bit = (n: number) => (bits & (1 << n)) !== 0;
  return {
    underVoltage: bit(0),
    frequencyCapped: bit(1),
    throttled: bit(2),
    softTempLimit: bit(3),
    underVoltageOccurred: bit(16),
    frequencyCappedOccurred: bit(17),
    throttledOccurred: bit(18),
    softTempLimitOccurred: bit(19),
  };
}

/**
 * The get_throttled word from vcgencmd ("throttled=0x50005") or from the firmware's sysfs
 * file, which prints bare hex ("50005"). Undefined when the text is neither.
 */
export function parseThrottled(text: string): number | undefined {
  const m = /^(?:throttled=)?(?:0x)?([0-9a-f]+)$/i.exec(text.trim());
  return m ? parseInt(m[1], 16) : undefined;
}

/** "Raspberry Pi 4 Model B Rev 1.4\0" → the model; undefined when empty or missing. */
export function parseModel(text: string | undefined): string | undefined {
  const model = text?.replace(/\0/g, '').trim();
  return model ? model : undefined;
}

/** Millidegrees ("48312\n") → degrees Celsius; undefined when not a number. */
export function parseMillidegrees(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || !/^-?\d+$/.test(t)) return undefined;
  return Number(t) / 1000;
}

/** A reading that fails (EACCES, EINVAL from a sensor without data) is unknown, not fatal. */
function tryRead(fs: ReadOnlyFs, file: string): string | undefined {
  try {
    return fs.readText(file);
  } catch {
    return undefined;
  }
}

async function readThrottledBits(deps: PiHealthDeps): Promise<number | undefined> {
  // The sysfs file needs no process spawn; vcgencmd is the fallback for older kernels.
  const sys = tryRead(deps.fs, THROTTLED_FILE);
  const fromSys = sys === undefined ? undefined : parseThrottled(sys);
  if (fromSys !== undefined) return fromSys;
  const vcgencmd = VCGENCMD_PATHS.find((p) => deps.fs.exists(p));
  if (!vcgencmd) return undefined;
  try {
    const out = await deps.commands.run(vcgencmd, ['get_throttled'], { timeoutMs: deps.timeoutMs ?? 2000 });
    return parseThrottled(out);
  } catch {
    // Without access to /dev/vchiq (not root, not in the video group) vcgencmd fails: unknown.
    return undefined;
  }
}

/** Reads the board model, SoC temperature and throttling flags that this host offers. */
export async function readPiHealth(deps: PiHealthDeps): Promise<PiHealth> {
  let boardModel: string | undefined;
  for (const f of MODEL_FILES) {
    boardModel = parseModel(tryRead(deps.fs, f));
    if (boardModel) break;
  }
  const temperature = parseMillidegrees(tryRead(deps.fs, THERMAL_FILE));
  const bits = await readThrottledBits(deps);
  const flags = bits === undefined ? undefined : decodeThrottled(bits);

  const health: NodeHealth = {};
  if (temperature !== undefined) health.socTemperatureCelsius = temperature;
  if (flags) {
    health.throttled = flags.throttled;
    health.underVoltage = flags.underVoltage;
    health.frequencyCapped = flags.frequencyCapped;
  }
  const out: PiHealth = { health };
  if (boardModel) out.boardModel = boardModel;
  if (flags) out.throttledFlags = flags;
  return out;
}
