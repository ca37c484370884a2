import type { Pool } from '../db/pool.ts';
import { createBatcher } from '../db/statement-batcher.ts';
import { recordTransitions, type TransitionRecord } from './attempt.repository.ts';

export type TransitionWriter = (t: TransitionRecord) => Promise<void>;

/** A statement error caused by one item's data (22xxx data exception, 23xxx constraint), not by the connection. */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * The worker's writer of call transitions. Each session still waits for its transition to be stored before
 * performing the transition's effects; what changes is that the transitions of concurrent calls that are due
 * in the same turn of the event loop share one statement (at one call per 5 ms, one statement per transition
 * cost more CPU, here and in PostgreSQL, than the calls' telephony). Alone, a transition leaves at once.
 */
export function createTransitionWriter(pool: Pool): TransitionWriter {
  return createBatcher<TransitionRecord, void>(async (items) => {
    // A session stores its transitions one after another, so an attempt appears at most once per batch; if it
    // ever did twice, the rows go one by one, in order.
    const ids = new Set(items.map((t) => t.attemptId));
    if (ids.size === items.length) await recordTransitions(pool, items);
    else for (const t of items) await recordTransitions(pool, [t]);
    return items.map(() => undefined);
  }, { maxInFlight: 2, retrySingly: isDataError });
}
