import type { CallbackRequest } from '../../requests/callback.types.ts';
import { WAITING_STATUSES } from '../../requests/request-lifecycle.ts';
import type { Department, Subscriber } from '../../subscribers/subscriber.types.ts';
import type { OperatorDestinations } from '../../policy/destination-policy.ts';
import { calleePhoneRefusal, visitorRefusal } from './dial-check.ts';
import { trunkEndpoint } from './dial-strings.ts';
import { jobFit } from './job-step.ts';
import { policyFrom, type RetryPolicy } from './retry-policy.ts';

/**
 * Whether and whom to dial for a request, decided on facts read just before (pure). The dialer loads the facts,
 * asks here, and acts on the verdict: nothing is dialed unless the verdict says `dial` and then `ring`.
 */

/** Who answers on the subscriber's side for one attempt. */
export interface CalleeTarget {
  kind: 'phone' | 'agent'; endpoint: string; label: string;
  /** The number rung (kind `phone`): checked right before the dial to be one of the request's verified numbers. */
  phoneE164?: string;
}

/** A request's age counts from the time it was meant to be called (scheduled), not from when it was made. */
export function ageFrom(r: Pick<CallbackRequest, 'createdAt' | 'scheduledAt'>): Date {
  return r.scheduledAt && r.scheduledAt > r.createdAt ? r.scheduledAt : r.createdAt;
}

export interface DialFacts {
  request: CallbackRequest;
  /** Null when the subscriber no longer exists. */
  subscriber: Subscriber | null;
  /** The number is on the installation's do-not-call list or opted out of this subscriber's calls. */
  onDoNotCall: boolean;
}

/** A request closed without a call, with the reason its owner sees; `refused`: by the destination checks. */
export interface CloseVerdict { verdict: 'close'; to: 'expired' | 'failed' | 'canceled'; reason: string; refused?: true }

export type DialVerdict =
  /** Not waiting for a call any more, or its subscriber is gone: nothing to do. */
  | { verdict: 'skip' }
  /** The queue job is for a step the request has left (job-step.ts). */
  | { verdict: 'stale' }
  /** The queue job came before its step is due: put back until `dueAt`. */
  | { verdict: 'early'; dueAt: Date }
  | CloseVerdict
  | { verdict: 'dial'; subscriber: Subscriber; policy: RetryPolicy };

/**
 * The request itself, in this order: still waiting; the job's step (when a queue job asks); too old (counted from
 * its scheduled time); its subscriber suspended; the number on the do-not-call list; the visitor's number outside
 * the destinations the subscriber and the operator allow.
 */
export function dialVerdict(f: DialFacts, job: { attempt: number | null } | undefined, now: number, destinations: OperatorDestinations): DialVerdict {
  const { request, subscriber } = f;
  if (!WAITING_STATUSES.includes(request.status)) return { verdict: 'skip' };
  if (job) {
    const fit = jobFit(request, job, now);
    if (fit.fit === 'stale') return { verdict: 'stale' };
    if (fit.fit === 'early') return { verdict: 'early', dueAt: fit.dueAt };
  }
  if (!subscriber) return { verdict: 'skip' };
  const policy = policyFrom(subscriber.settings);
  if (now - ageFrom(request).getTime() > policy.maxAgeSec * 1000) return { verdict: 'close', to: 'expired', reason: 'too old to call back' };
  if (subscriber.status !== 'active') return { verdict: 'close', to: 'failed', reason: 'subscriber suspended' };
  if (f.onDoNotCall) return { verdict: 'close', to: 'canceled', reason: 'number is on the do-not-call list' };
  const refused = visitorRefusal(request.phoneE164, subscriber, destinations);
  if (refused) return { verdict: 'close', to: 'failed', reason: refused.reason, refused: true };
  return { verdict: 'dial', subscriber, policy };
}

/** The subscriber's side when no agent answers: the department's phone, else the subscriber's own; null when neither has one. */
export function phoneCallee(trunk: string, subscriber: Subscriber, department: Department | null): CalleeTarget | null {
  const phone = department?.phoneE164 ?? subscriber.phoneE164;
  if (!phone) return null;
  return { kind: 'phone', endpoint: trunkEndpoint(trunk, phone), label: department?.name ?? subscriber.name, phoneE164: phone };
}

/** An agent reserved to answer a customer-first call. */
export function agentCallee(agent: { endpoint: string; name: string }): CalleeTarget {
  return { kind: 'agent', endpoint: agent.endpoint, label: agent.name };
}

/** Whom to ring on the subscriber's side: somebody, and a phone only if it is verified and allowed. */
export function calleeVerdict(
  callee: CalleeTarget | null, subscriber: Subscriber, department: Department | null, destinations: OperatorDestinations,
): { verdict: 'ring'; callee: CalleeTarget } | CloseVerdict {
  if (!callee) return { verdict: 'close', to: 'failed', reason: 'nobody to connect the call to' };
  if (callee.kind === 'phone') {
    const refused = calleePhoneRefusal(callee.phoneE164, subscriber, department, destinations);
    if (refused) return { verdict: 'close', to: 'failed', reason: refused.reason, refused: true };
  }
  return { verdict: 'ring', callee };
}
