import type { AttemptOutcome } from '../../requests/callback.types.ts';

/**
 * What happens to a request after an attempt ends. Pure; per-subscriber overrides come from
 * subscribers.settings.retry (see DEFAULT_RETRY_POLICY for the shape and defaults).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Seconds to wait before the next attempt, per outcome; an outcome missing here is never retried. */
  backoffSec: Partial<Record<AttemptOutcome, number>>;
  /** Each further retry waits this much longer (2 = doubles). */
  backoffFactor: number;
  /** Give up on a request older than this many seconds (status `expired`). */
  maxAgeSec: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  backoffSec: { busy: 120, no_answer: 300, no_human: 300, failed: 60, callee_unanswered: 120 },
  backoffFactor: 2,
  maxAgeSec: 24 * 3600,
};

export type NextStep =
  | { action: 'complete' }
  | { action: 'retry'; at: Date }
  | { action: 'fail'; reason: string }
  | { action: 'expire'; reason: string };

export function policyFrom(settings: Record<string, unknown>): RetryPolicy {
  const o = (settings.retry ?? {}) as Partial<RetryPolicy>;
  return {
    maxAttempts: typeof o.maxAttempts === 'number' && o.maxAttempts >= 1 ? Math.min(o.maxAttempts, 10) : DEFAULT_RETRY_POLICY.maxAttempts,
    backoffSec: { ...DEFAULT_RETRY_POLICY.backoffSec, ...(o.backoffSec ?? {}) },
    backoffFactor: typeof o.backoffFactor === 'number' && o.backoffFactor >= 1 ? o.backoffFactor : DEFAULT_RETRY_POLICY.backoffFactor,
    maxAgeSec: typeof o.maxAgeSec === 'number' && o.maxAgeSec > 0 ? o.maxAgeSec : DEFAULT_RETRY_POLICY.maxAgeSec,
  };
}

const REASONS: Record<AttemptOutcome, string> = {
  answered: 'connected',
  busy: 'visitor busy',
  no_answer: 'visitor did not answer',
  no_human: 'no key pressed (answering machine?)',
  rejected: 'visitor rejected the call',
  failed: 'the call could not be placed',
  callee_unanswered: 'nobody answered on our side',
  abandoned: 'visitor hung up before being connected',
  canceled: 'canceled',
  refused: 'refused at dial time',
};

export function nextStep(p: { outcome: AttemptOutcome; attemptsDone: number; createdAt: Date; now: Date; policy: RetryPolicy }): NextStep {
  if (p.outcome === 'answered') return { action: 'complete' };
  const base = p.policy.backoffSec[p.outcome];
  if (base === undefined || p.attemptsDone >= p.policy.maxAttempts) return { action: 'fail', reason: REASONS[p.outcome] };
  const delaySec = base * Math.pow(p.policy.backoffFactor, p.attemptsDone - 1);
  const at = new Date(p.now.getTime() + delaySec * 1000);
  if (at.getTime() - p.createdAt.getTime() > p.policy.maxAgeSec * 1000) return { action: 'expire', reason: `${REASONS[p.outcome]}; no time left to try again` };
  return { action: 'retry', at };
}
