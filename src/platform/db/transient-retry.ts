import { isDataError } from './statement-batcher.ts';

/**
 * A failure worth trying again: the connection or the server failed (lost connection, restart, a statement
 * killed by an operator), or a serialization conflict or deadlock; never a statement PostgreSQL refuses.
 */
function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return !isDataError(err) || (typeof code === 'string' && code.startsWith('40'));
}

export interface TransientRetry {
  /** Give up once the next try would start later than this many ms after the first. */
  boundMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Told about each failure that will be tried again. */
  onRetry?: (err: Error, retryInMs: number) => void;
  /** Stop early (the caller no longer needs the result). */
  stop?: () => boolean;
}

/** Thrown by retryTransient when the bound is reached; `cause` is the last failure. */
export class StillFailing extends Error {}

/**
 * Runs `fn` until it succeeds, retrying transient failures with exponential back-off for at most `boundMs`.
 * A failure that is not transient is thrown at once; past the bound, StillFailing is.
 */
export async function retryTransient<T>(fn: () => Promise<T>, o: TransientRetry): Promise<T> {
  const deadline = Date.now() + o.boundMs;
  for (let wait = o.firstDelayMs ?? 100; ; wait = Math.min(wait * 2, o.maxDelayMs ?? 2000)) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err)) throw err;
      if (o.stop?.() || Date.now() + wait > deadline) throw new StillFailing(`still failing after ${o.boundMs} ms: ${(err as Error).message}`, { cause: err });
      o.onRetry?.(err as Error, wait);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
