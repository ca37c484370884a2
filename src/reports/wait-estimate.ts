import type { Pool } from '../platform/db/pool.ts';
import { recentTimesToDial } from './report.repository.ts';

/** Fewer recent requests than this and the estimate would be a guess: none is given. */
const MIN_SAMPLES = 5;

/**
 * The wait a visitor can expect before the phone rings, in whole minutes (at least 1): the median time from
 * request to first dial of the subscriber's recent immediate requests. A median, so one request that waited
 * for an agent for an hour does not make the widget promise an hour to everyone. Pure; null without enough
 * history. Business hours are not in it: the widget offers "call me now" only while the business is open.
 */
export function waitEstimateMinutes(timesToDialSec: number[]): number | null {
  if (timesToDialSec.length < MIN_SAMPLES) return null;
  const sorted = [...timesToDialSec].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.max(1, Math.ceil(median / 60));
}

/**
 * Estimates per subscriber, each read at most once per `ttlMs`: the directory asking on every page view of a
 * busy site must not become a query per page view.
 */
export class WaitEstimates {
  private cache = new Map<string, { at: number; value: Promise<number | null> }>();
  constructor(private readonly pool: Pool, private readonly ttlMs = 60_000) {}

  forSubscriber(subscriberId: string): Promise<number | null> {
    const hit = this.cache.get(subscriberId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    // An estimate is a nicety: a failed read gives none rather than failing the directory.
    const value = recentTimesToDial(this.pool, subscriberId).then(waitEstimateMinutes, () => null);
    this.cache.set(subscriberId, { at: Date.now(), value });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return value;
  }
}
