import type { NextStep } from './retry-policy.ts';
import { nextOpening, type BusinessHours } from '../../schedule/business-hours.ts';

/**
 * Moves a retry into business hours unless the subscriber allows retries outside them
 * (settings.retry.outsideHours, default false). Pure.
 * A retry that would then fall after the request's deadline (created or scheduled time + maxAgeSec) expires.
 */
export function retryWithinHours(step: NextStep, o: { hours: BusinessHours; outsideHours: boolean; deadline: Date }): NextStep {
  if (step.action !== 'retry' || o.outsideHours) return step;
  const at = nextOpening(o.hours, step.at);
  if (!at || at.getTime() > o.deadline.getTime()) return { action: 'expire', reason: 'no business hours left to try again' };
  return { action: 'retry', at };
}

export function retryOutsideHours(settings: Record<string, unknown>): boolean {
  const r = settings.retry as Record<string, unknown> | undefined;
  return r?.outsideHours === true;
}
