import type { Logger } from './logger.ts';

/**
 * A task run every `intervalMs` (and on demand through `runOnce`), with one guard for every background loop:
 * - passes never overlap: a call while a pass runs joins that pass's result instead of starting another;
 * - a pass that throws is logged (`failMessage`) and the next one runs on schedule; it never becomes an
 *   unhandled rejection;
 * - timers never keep the process alive, and after `stop()` no new pass starts.
 * `firstDelayMs` runs a first pass sooner (0 = at once) or later than the interval; `skip` lets a pass be
 * declined cheaply (e.g. while a connection is down), returning `idle`. `failLevel` 'debug' suits a pass so
 * frequent that an outage would flood the log with the same line.
 */
export interface PeriodicOptions<T> {
  name: string;
  intervalMs: number;
  run: () => Promise<T>;
  log: Logger;
  /** What a pass that is declined or fails returns to `runOnce` callers. */
  idle: T;
  failMessage?: string;
  failLevel?: 'warn' | 'debug';
  firstDelayMs?: number;
  skip?: () => boolean;
}

export interface Periodic<T> {
  runOnce(): Promise<T>;
  stop(): void;
  /** True while a pass is in progress. */
  readonly running: boolean;
}

export function periodic<T>(o: PeriodicOptions<T>): Periodic<T> {
  let current: Promise<T> | null = null;
  let stopped = false;
  const runOnce = (): Promise<T> => {
    if (current) return current;
    if (stopped || o.skip?.()) return Promise.resolve(o.idle);
    current = (async () => {
      try {
        return await o.run();
      } catch (err) {
        o.log[o.failLevel ?? 'warn']({ task: o.name, err: (err as Error)?.message ?? String(err) }, o.failMessage ?? `${o.name} pass failed; the next pass retries`);
        return o.idle;
      } finally {
        current = null;
      }
    })();
    return current;
  };
  const tick = () => { if (!stopped) void runOnce(); };
  const timer = setInterval(tick, o.intervalMs);
  timer.unref();
  const first = o.firstDelayMs === undefined ? null : setTimeout(tick, o.firstDelayMs);
  first?.unref();
  return {
    runOnce,
    stop() { stopped = true; clearInterval(timer); if (first) clearTimeout(first); },
    get running() { return current !== null; },
  };
}
