/** The outcome of one preflight check. A failure's message names the fix. */
export type CheckResult = { name: string; ok: true; detail?: string } | { name: string; ok: false; message: string };

/** A failed check. */
export type CheckFailure = Extract<CheckResult, { ok: false }>;

export function passed(name: string, detail?: string): CheckResult {
  return detail === undefined ? { name, ok: true } : { name, ok: true, detail };
}

export function failed(name: string, message: string): CheckFailure {
  return { name, ok: false, message };
}
