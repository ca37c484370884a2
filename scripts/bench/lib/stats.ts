/**
 * The few statistics the bench reports. Pure, so the numbers that decide "met" or "missed" are unit tested
 * (test/unit/bench-stats.test.ts) rather than trusted.
 */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100 (got ${p})`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Median of several runs; with an even count the mean of the middle two. NaN for none. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export interface LatencySummary { count: number; p50: number; p99: number; max: number; mean: number }

export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN, mean: NaN };
  let sum = 0;
  let max = -Infinity;
  for (const s of samples) { sum += s; if (s > max) max = s; }
  return { count: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max, mean: sum / samples.length };
}

/**
 * Events per second over the steady middle of a burst: the first and last `trim` fraction of the timestamps
 * are dropped so that ramp-up and the tail do not count. Needs at least a handful of events.
 */
export function steadyRate(timestampsMs: readonly number[], trim = 0.1): number {
  if (timestampsMs.length < 5) return NaN;
  const t = [...timestampsMs].sort((a, b) => a - b);
  const lo = Math.floor(t.length * trim);
  const hi = Math.max(lo + 1, Math.ceil(t.length * (1 - trim)) - 1);
  const span = t[hi]! - t[lo]!;
  return span > 0 ? ((hi - lo) / span) * 1000 : NaN;
}

/** ours / baseline, NaN when either is missing. */
export function ratio(ours: number, baseline: number): number {
  return Number.isFinite(ours) && Number.isFinite(baseline) && baseline !== 0 ? ours / baseline : NaN;
}

export type Direction = 'min' | 'max';

/** A target: `min` means the value must be at least `limit`, `max` at most. */
export interface Target { direction: Direction; limit: number }

export function meets(value: number, target: Target): boolean {
  if (!Number.isFinite(value)) return false;
  return target.direction === 'min' ? value >= target.limit : value <= target.limit;
}
