import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { EventBus } from '../platform/event-bus.ts';
import { retryTransient } from '../platform/db/transient-retry.ts';
import { markEnqueued, transitionRequest, type StrandedRequest } from '../requests/callback.repository.ts';
import { IN_CALL_STATUSES } from '../requests/request-lifecycle.ts';
import type { CallbackRequest } from '../requests/callback.types.ts';
import { findSubscriberById, toSubscriber } from '../subscribers/subscriber.repository.ts';
import { hoursFromSettings } from '../schedule/business-hours.ts';
import type { DialStore } from './session/dial-store.ts';
import { webCallRequestEnd } from './flow/web-call-state.ts';
import type { Outcome } from './flow/call-state.ts';
import { ageFrom } from './flow/dial-decision.ts';
import { nextStep, policyFrom, type RetryPolicy } from './flow/retry-policy.ts';
import { retryOutsideHours, retryWithinHours } from './flow/retry-window.ts';
import type { AgentDesk } from './ports.ts';

export interface SettleDeps {
  pool: Pool;
  store: DialStore;
  queue: CallbackQueue;
  bus: EventBus;
  log: Logger;
  /** How long a request's move after its attempt is retried while PostgreSQL fails. */
  writeRetryMs: number;
  agents?: AgentDesk;
}

/**
 * The request's side of its calls: every move of a request the dialer makes (closed before a dial, connected
 * once bridged, and the move after an attempt ends, as the retry policy says) goes through here, and each is
 * published to the request's status stream once it is stored.
 */
export class Settler {
  constructor(private readonly deps: SettleDeps) {}

  /** Moves the request from one of `from` to `to` (a status-only move, shared with concurrent calls' statements). */
  async move(id: string, from: readonly CallbackRequest['status'][], to: CallbackRequest['status'], reason: string | null): Promise<void> {
    const moved = await this.deps.store.move({ id, from, to, reason });
    if (moved) void this.deps.bus.publish({ type: 'request.status', requestId: id, status: to, reason, at: new Date().toISOString() });
  }

  /**
   * Both parties are bridged: the request is `connected` (stored, so the status API, status page, portal and agent
   * console all say so). Only from `dialing`: if the call already ended and the request moved on, nothing changes.
   */
  async connected(requestId: string): Promise<void> {
    await this.move(requestId, ['dialing'], 'connected', null)
      .catch((err: Error) => this.deps.log.warn({ requestId, err: err.message }, 'request not marked connected'));
  }

  /**
   * The request's move after an attempt that ended with `outcome`. `attemptsDone` is the request's attempt count
   * as this attempt's claim left it; the request's creation and scheduled times never change, so the request as
   * read before the claim serves.
   */
  afterAttempt(request: CallbackRequest, attemptsDone: number, policy: RetryPolicy, outcome: Outcome): Promise<void> {
    return this.durably(request.id, () => this.settle(request, attemptsDone, policy, outcome));
  }

  /**
   * A move after an attempt ended, retried while PostgreSQL fails (each step is conditional on the request's
   * status, so a try that did commit is not repeated). Past the bound it is left `dialing`/`connected` with every
   * attempt ended, and recovery settles it (`stranded`).
   */
  async durably(requestId: string, move: () => Promise<void>): Promise<void> {
    await retryTransient(move, {
      boundMs: this.deps.writeRetryMs,
      onRetry: (err, retryInMs) => this.deps.log.warn({ requestId, err: err.message, retryInMs }, 'request not moved after its attempt; retrying'),
    }).catch((err: Error) => this.deps.log.error({ requestId, err: err.message }, 'request not moved after its attempt; left to recovery'));
  }

  /**
   * A request whose attempts have all ended but that is still `dialing`/`connected` (listStrandedRequests): moved as
   * the end of its last attempt would have moved it. Whether it moved (another worker may have settled it first).
   */
  async stranded(s: StrandedRequest): Promise<boolean> {
    const found = await this.deps.store.load(s.id);
    if (!found || !IN_CALL_STATUSES.includes(found.request.status)) return false;
    const { request } = found;
    const outcome: Outcome = { outcome: s.outcome ?? 'failed', cause: s.cause, causeTxt: s.causeTxt ?? 'the attempt ended with no outcome stored' };
    this.deps.log.warn({ requestId: s.id, attemptId: s.attemptId, outcome: outcome.outcome }, 'request left in flight after its last attempt ended; settling it');
    if (s.visitorNeverDialed && this.deps.agents) {
      await this.deps.agents.backInLine(s.id, `attempt ended before the visitor was dialed: ${outcome.causeTxt}`);
      return true;
    }
    if (request.kind === 'webcall') {
      await this.webCallEnded(request.id, outcome);
      return true;
    }
    const subscriber = found.subscriberRow ? toSubscriber(found.subscriberRow) : null;
    await this.settle(request, request.attemptCount, policyFrom(subscriber?.settings ?? {}), outcome);
    return true;
  }

  /** A web call's request after its only attempt (flow/web-call-state.ts's webCallRequestEnd): never retried. */
  async webCallEnded(requestId: string, outcome: Outcome): Promise<void> {
    const end = webCallRequestEnd(outcome);
    await this.durably(requestId, () => this.move(requestId, IN_CALL_STATUSES, end.to, end.reason));
  }

  /** Moves the request as the retry policy says after an attempt that ended with `outcome`. */
  private async settle(request: CallbackRequest, attemptsDone: number, policy: RetryPolicy, outcome: Outcome): Promise<void> {
    const { pool, log } = this.deps;
    let step = nextStep({ outcome: outcome.outcome, attemptsDone, createdAt: ageFrom(request), now: new Date(), policy });
    // Retries only: the subscriber's hours as they are now (they may have changed during the call).
    const subscriber = step.action === 'retry' ? await findSubscriberById(pool, request.subscriberId) : null;
    if (subscriber) {
      step = retryWithinHours(step, {
        hours: hoursFromSettings(subscriber.settings, subscriber.timezone), outsideHours: retryOutsideHours(subscriber.settings),
        deadline: new Date(ageFrom(request).getTime() + policy.maxAgeSec * 1000),
      });
    }
    const live = IN_CALL_STATUSES;
    if (outcome.outcome === 'canceled' && outcome.causeTxt === 'visitor opted out') {
      await this.move(request.id, live, 'canceled', 'visitor opted out during the call');
    } else if (outcome.outcome === 'refused') {
      await this.move(request.id, live, 'failed', outcome.causeTxt ?? 'refused at dial time');
    } else if (step.action === 'complete') {
      await this.move(request.id, live, 'completed', null);
    } else if (step.action === 'retry') {
      const moved = await transitionRequest(pool, request.id, live, 'scheduled', `retry after ${outcome.outcome}`, { nextAttemptAt: step.at, clearEnqueued: true });
      if (moved.ok) {
        try {
          await this.deps.queue.enqueue(request.id, { delayMs: step.at.getTime() - Date.now(), attempt: moved.attemptCount });
          await markEnqueued(pool, [request.id]);
        } catch (err) {
          log.warn({ requestId: request.id, err: (err as Error).message }, 'retry kept in the outbox');
        }
        void this.deps.bus.publish({ type: 'request.status', requestId: request.id, status: 'scheduled', at: new Date().toISOString() });
      }
    } else {
      await this.move(request.id, live, step.action === 'expire' ? 'expired' : 'failed', step.reason);
    }
  }
}
