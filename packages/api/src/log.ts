import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr (stdout stays free for command output). The level
 * comes from ORCHARD_LOG_LEVEL (default info).
 */
export function createLogger(name: string, level = process.env.ORCHARD_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
