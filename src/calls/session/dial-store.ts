import type { Pool } from '../../platform/db/pool.ts';
import { createBatcher, isDataError } from '../../platform/db/statement-batcher.ts';
import { findRequestsToDial, moveRequests, type RequestMove, type RequestToDial } from '../../requests/callback.repository.ts';
import { claimAttempts, recordTransitions, type NewAttempt, type TransitionRecord } from '../attempt.repository.ts';
import { toDepartment, toSubscriber } from '../../subscribers/subscriber.repository.ts';
import type { Department, Subscriber } from '../../subscribers/subscriber.types.ts';

export type TransitionWriter = (t: TransitionRecord) => Promise<void>;

/**
 * The worker's statements on the path of every call, each gathering the items of concurrent calls that are due
 * in the same turn of the event loop into one statement (src/platform/db/statement-batcher.ts). A round trip to
 * PostgreSQL costs far more CPU, here and in the server, than the row it carries: with one statement per call and
 * step a worker stays well under the dial rate it is meant to sustain (npm run bench). Alone, an item leaves at
 * once: a quiet worker waits for no batch. Each caller still waits for its own item:
 * a session stores a transition before performing its effects, and a request is claimed before it is dialed.
 */
export interface DialStore {
  /** The request with its subscriber, department and do-not-call flag; null when there is no such request. */
  load(requestId: string): Promise<RequestToDial | null>;
  /** Claims the request for this attempt (see claimAttempts); the request's attempt count, or null when it was not claimable. */
  claim(a: NewAttempt): Promise<number | null>;
  /** A status-only move of a request (callback.repository.ts's moveRequests); whether it moved. */
  move(m: RequestMove): Promise<boolean>;
  record: TransitionWriter;
}

/** The subscriber and department read with a request (`load`); null when the subscriber no longer exists. */
export function partiesOf(found: RequestToDial): { subscriber: Subscriber | null; department: Department | null } {
  const subscriber = found.subscriberRow ? toSubscriber(found.subscriberRow) : null;
  const department = found.request.departmentId && found.departmentRow ? toDepartment(found.departmentRow) : null;
  return { subscriber, department };
}

/**
 * Runs a batch whose statement may hold each key once (one UPDATE may not change a row twice): the first item
 * of each key goes in one statement, any repeat after it on its own, in order. Items go in key order, so two
 * workers' statements over overlapping rows lock them in the same order rather than deadlock.
 */
export async function onceByKey<I, O>(items: readonly I[], key: (i: I) => string, run: (items: I[]) => Promise<O[]>): Promise<O[]> {
  const seen = new Set<string>();
  const first: number[] = [];
  const later: number[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) later.push(i);
    else { seen.add(k); first.push(i); }
  });
  first.sort((i, j) => (key(items[i]!) < key(items[j]!) ? -1 : 1));
  const out = new Array<O>(items.length);
  const firstOut = await run(first.map((i) => items[i]!));
  first.forEach((i, j) => { out[i] = firstOut[j]!; });
  for (const i of later) out[i] = (await run([items[i]!]))[0]!;
  return out;
}

export function createDialStore(pool: Pool): DialStore {
  const opts = { maxInFlight: 2, retrySingly: isDataError };
  const load = createBatcher<string, RequestToDial | null>(async (ids) => {
    const found = await findRequestsToDial(pool, ids);
    return ids.map((id) => found.get(id) ?? null);
  }, opts);
  const claim = createBatcher<NewAttempt, number | null>((items) => onceByKey(items, (a) => a.requestId, async (batch) => {
    const claimed = await claimAttempts(pool, batch);
    return batch.map((a) => claimed.get(a.id) ?? null);
  }), opts);
  const move = createBatcher<RequestMove, boolean>((items) => onceByKey(items, (m) => m.id, async (batch) => {
    const moved = await moveRequests(pool, batch);
    return batch.map((m) => moved.has(m.id));
  }), opts);
  // A session stores its transitions one after another, so an attempt is in a batch at most once; a repeat
  // (never expected) would still go on its own, in order.
  const record = createBatcher<TransitionRecord, void>((items) => onceByKey(items, (t) => t.attemptId, async (batch) => {
    await recordTransitions(pool, batch);
    return batch.map(() => undefined);
  }), opts);
  return { load, claim, move, record };
}
