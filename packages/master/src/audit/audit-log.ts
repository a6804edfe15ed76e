import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

/** One audited call: who did what to which objects, and how it ended. */
export interface AuditEntry {
  /** RFC 3339 time the call finished. */
  readonly time: string;
  /** The caller's certificate identity (`admin`, `system:node:pi1`), or the joining peer. */
  readonly who: string;
  readonly role: string;
  /** `Service/Method`. */
  readonly what: string;
  /** Objects or tokens the call named, e.g. `pods/default/web`, `token abcdef`. */
  readonly objects: readonly string[];
  /** `OK` or the gRPC status name. */
  readonly result: string;
  readonly message?: string;
  /** The peer address (gRPC form). */
  readonly peer?: string;
}

/** Where audit entries go; the master writes one JSON line per mutating call. */
export interface AuditSink {
  record(entry: AuditEntry): void;
  close(): Promise<void>;
}

/**
 * Opens the audit log: a file appended to (created 0600), or stderr for `-`.
 * Lines are JSON, one per call, so `jq` and log shippers read them as they are.
 */
export function openAuditLog(target: string): AuditSink {
  if (target === '-') {
    return { record: (e) => process.stderr.write(JSON.stringify({ audit: true, ...e }) + '\n'), close: async () => undefined };
  }
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const out: WriteStream = createWriteStream(target, { flags: 'a', mode: 0o600 });
  out.on('error', (err) => process.stderr.write(`audit log ${target}: ${err.message}\n`));
  return {
    record: (e) => {
      out.write(JSON.stringify(e) + '\n');
    },
    close: () => new Promise<void>((resolve) => out.end(() => resolve())),
  };
}

/** An in-memory sink for tests. */
export class MemoryAuditSink implements AuditSink {
  readonly entries: AuditEntry[] = [];
  record(entry: AuditEntry): void {
    this.entries.push(entry);
  }
  async close(): Promise<void> {}
}
