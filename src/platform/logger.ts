import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process; call and request code derives child loggers carrying their ids. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'beckon'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
