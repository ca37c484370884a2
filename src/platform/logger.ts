import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One JSON logger per process; call and request code derives child loggers carrying their ids.
 * Lines go to stdout asynchronously: while one write is in flight the next lines gather and leave in one
 * write, so a busy worker or web process makes a few writes per batch of lines instead of one blocking
 * write per line, and a quiet one still writes each line at once (minLength 0: nothing waits for a
 * buffer to fill). pino flushes what is pending when the process exits; a SIGKILL can lose the lines of
 * the write in flight.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'beckon'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: false, minLength: 0 }));
}
