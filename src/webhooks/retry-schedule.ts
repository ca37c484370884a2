/**
 * When a failed delivery is tried again, and when the endpoint gives up: pure, so the rules read in one place.
 * - the n-th failure waits base * 2^(n-1), at most `maxDelayMs` (an hour by default: about thirty tries in a day);
 * - a delivery still failing `windowMs` after it was made is given up (status failed), and the next one goes;
 * - an endpoint that has had no success for `disableAfterMs` since its first failure is disabled.
 */
export interface RetryRules { baseDelayMs: number; maxDelayMs: number; windowMs: number; disableAfterMs: number }

export const DEFAULT_RETRY_RULES: RetryRules = {
  baseDelayMs: 30_000, maxDelayMs: 3_600_000, windowMs: 24 * 3_600_000, disableAfterMs: 3 * 24 * 3_600_000,
};

export function retryDelayMs(rules: RetryRules, failures: number): number {
  return Math.min(rules.maxDelayMs, rules.baseDelayMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
}

export type AfterFailure =
  | { kind: 'retry'; atMs: number; disable: boolean }
  | { kind: 'give-up'; disable: boolean };

/** After a failed try at `nowMs` (the delivery's `failures` include this one). */
export function afterFailure(rules: RetryRules, o: { nowMs: number; createdMs: number; failures: number; failingSinceMs: number | null }): AfterFailure {
  const disable = o.nowMs - (o.failingSinceMs ?? o.nowMs) >= rules.disableAfterMs;
  const atMs = o.nowMs + retryDelayMs(rules, o.failures);
  return atMs - o.createdMs > rules.windowMs ? { kind: 'give-up', disable } : { kind: 'retry', atMs, disable };
}
