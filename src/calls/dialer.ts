import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import type { Config } from '../config.ts';
import { findRequest, markEnqueued, transitionRequest } from '../callbacks/callback.repository.ts';
import type { CallbackQueue } from '../queue/callback-queue.ts';
import type { EventBus } from '../events/event-bus.ts';
import { findDepartment, findSubscriberById } from '../subscribers/subscriber.repository.ts';
import type { Department, Subscriber } from '../subscribers/subscriber.types.ts';
import type { CallbackRequest } from '../callbacks/callback.types.ts';
import { dialDigits } from '../phone/phone-number.ts';
import type { TelephonyEvent, TelephonyPort } from '../telephony/telephony-port.ts';
import { insertAttempt } from './attempt.repository.ts';
import { parseCallId } from './call-ids.ts';
import { CallSession, type SessionSettings } from './call-session.ts';
import type { Outcome } from './call-state.ts';
import { nextStep, policyFrom } from './retry-policy.ts';

/** Who answers on the subscriber's side for one attempt. */
export interface CalleeTarget { kind: 'phone' | 'agent'; endpoint: string; label: string }

export type CalleeResolver = (r: { request: CallbackRequest; subscriber: Subscriber; department: Department | null }) => Promise<CalleeTarget | null>;

export interface DialerDeps {
  pool: Pool;
  port: TelephonyPort;
  queue: CallbackQueue;
  bus: EventBus;
  log: Logger;
  config: Config;
  workerId: string;
  /** Overrides where the callee leg goes (agents); default: department phone, else the subscriber's phone. */
  resolveCallee?: CalleeResolver;
  /** Called when the visitor presses the opt-out key (do-not-call list). */
  onOptOut?: (phoneE164: string, subscriberId: string) => Promise<void>;
  /** Called after an attempt's final state is stored (call records, metrics). */
  onAttemptEnded?: (a: { attemptId: string; requestId: string; outcome: Outcome }) => Promise<void> | void;
}

export function trunkEndpoint(template: string, e164: string): string {
  return template.replace('{number}', dialDigits(e164));
}

export function callerId(name: string | null, e164: string): string {
  const clean = (name ?? '').replace(/["<>\\]/g, '').slice(0, 40);
  return clean ? `"${clean}" <${e164}>` : e164;
}

export function sessionSettings(config: Config, settings: Record<string, unknown>): SessionSettings {
  const confirm = settings.confirmKeyRequired !== false;
  return {
    confirm,
    confirmKey: typeof settings.confirmKey === 'string' ? settings.confirmKey : '1',
    optOutKey: typeof settings.optOutKey === 'string' ? settings.optOutKey : config.OPT_OUT_KEY || null,
    confirmWaitMs: config.CONFIRM_WAIT_MS,
    ringTimeoutSec: config.RING_TIMEOUT,
    maxCallSec: config.MAX_CALL_SEC,
    mohClass: config.MOH_CLASS,
    prompts: { confirm: config.PROMPT_CONFIRM.split(','), announce: config.PROMPT_ANNOUNCE.split(',') },
  };
}

/**
 * Turns queued requests into call attempts and routes telephony events to their sessions.
 * The state change to `dialing` (with the attempt number) is committed before anything is originated, and it
 * only succeeds from `queued`/`scheduled`: a redelivered job or a second worker finds `dialing` and stops.
 */
export class Dialer {
  readonly sessions = new Map<string, CallSession>();
  private draining = false;

  constructor(private readonly deps: DialerDeps) {
    deps.port.onEvent((e) => this.route(e));
  }

  get activeCalls(): number { return this.sessions.size; }

  /** Stops taking new attempts (SIGTERM); calls in progress go on. */
  drain(): void { this.draining = true; }

  async startAttempt(requestId: string): Promise<'dialed' | 'skipped'> {
    const { pool, log } = this.deps;
    if (this.draining) throw new Error('worker is shutting down');
    const request = await findRequest(pool, requestId);
    if (!request || (request.status !== 'queued' && request.status !== 'scheduled')) return 'skipped';
    const subscriber = await findSubscriberById(pool, request.subscriberId);
    if (!subscriber) return 'skipped';
    const department = request.departmentId ? await findDepartment(pool, subscriber.id, request.departmentId) : null;
    const policy = policyFrom(subscriber.settings);
    if (Date.now() - request.createdAt.getTime() > policy.maxAgeSec * 1000) {
      await this.finishRequest(request.id, ['queued', 'scheduled'], 'expired', 'too old to call back');
      return 'skipped';
    }
    if (subscriber.status !== 'active') {
      await this.finishRequest(request.id, ['queued', 'scheduled'], 'failed', 'subscriber suspended');
      return 'skipped';
    }
    const callee = await (this.deps.resolveCallee ?? this.defaultCallee.bind(this))({ request, subscriber, department });
    if (!callee) {
      await this.finishRequest(request.id, ['queued', 'scheduled'], 'failed', 'nobody to connect the call to');
      return 'skipped';
    }
    const attemptId = randomUUID();
    const session: CallSession = new CallSession(
      {
        attemptId, requestId,
        visitorNumber: request.phoneE164,
        visitorEndpoint: trunkEndpoint(this.deps.config.TRUNK_ENDPOINT, request.phoneE164),
        visitorCallerId: callerId(subscriber.name, subscriber.phoneE164 ?? department?.phoneE164 ?? ''),
        calleeEndpoint: callee.endpoint,
        calleeCallerId: callerId(request.visitorName, request.phoneE164),
        accountCode: subscriber.slug,
      },
      sessionSettings(this.deps.config, subscriber.settings),
      { pool, port: this.deps.port, log },
      {
        ended: (outcome): Promise<void> => this.attemptEnded(session, request, policy, outcome),
        phase: (phase) => { void this.deps.bus.publish({ type: 'attempt.updated', requestId, phase, at: new Date().toISOString() }); },
        optOut: () => this.deps.onOptOut?.(request.phoneE164, subscriber.id) ?? Promise.resolve(),
      },
    );
    const claimed = await withTransaction(pool, async (tx) => {
      const moved = await transitionRequest(tx, requestId, ['queued', 'scheduled'], 'dialing', null, { attemptCountDelta: 1 });
      if (!moved.ok) return false;
      await insertAttempt(tx, {
        id: attemptId, requestId, n: moved.attemptCount, state: 'visitor_ringing', workerId: this.deps.workerId,
        visitorChannelId: session.ids.visitor, calleeChannelId: session.ids.callee, bridgeId: session.ids.bridge,
        calleeKind: callee.kind, calleeEndpoint: callee.endpoint,
      });
      return true;
    });
    if (!claimed) return 'skipped';
    this.sessions.set(attemptId, session);
    void this.deps.bus.publish({ type: 'request.status', requestId, status: 'dialing', at: new Date().toISOString() });
    await session.start();
    return 'dialed';
  }

  private async defaultCallee({ subscriber, department }: { subscriber: Subscriber; department: Department | null }): Promise<CalleeTarget | null> {
    const phone = department?.phoneE164 ?? subscriber.phoneE164;
    if (!phone) return null;
    return { kind: 'phone', endpoint: trunkEndpoint(this.deps.config.TRUNK_ENDPOINT, phone), label: department?.name ?? subscriber.name };
  }

  private route(e: TelephonyEvent): void {
    if (e.type === 'connection.lost' || e.type === 'connection.restored') return;
    const id = 'playbackId' in e ? e.playbackId : 'channelId' in e ? e.channelId : null;
    const parsed = id ? parseCallId(id) : null;
    if (!parsed) return;
    const session = this.sessions.get(parsed.attemptId);
    if (!session) return;
    const leg = parsed.leg;
    switch (e.type) {
      case 'call.answered':
        void session.dispatch({ type: leg === 'visitor' ? 'visitor.answered' : 'callee.answered' });
        if (leg === 'visitor') void this.deps.bus.publish({ type: 'request.status', requestId: session.target.requestId, status: 'dialing', phase: 'visitor_answered', at: new Date().toISOString() });
        return;
      case 'call.ended':
        void session.dispatch({ type: leg === 'visitor' ? 'visitor.ended' : 'callee.ended', cause: e.cause, causeTxt: e.causeTxt });
        return;
      case 'dtmf.received':
        if (leg === 'visitor') void session.dispatch({ type: 'visitor.dtmf', digit: e.digit });
        return;
      case 'playback.finished':
        if (parsed.prompt === 'confirm' || parsed.prompt === 'announce') void session.dispatch({ type: 'prompt.finished', prompt: parsed.prompt });
        return;
      default:
        return;
    }
  }

  private async attemptEnded(session: CallSession, request: CallbackRequest, policy: ReturnType<typeof policyFrom>, outcome: Outcome): Promise<void> {
    const { pool, log } = this.deps;
    this.sessions.delete(session.target.attemptId);
    const fresh = await findRequest(pool, request.id);
    if (!fresh) return;
    const step = nextStep({ outcome: outcome.outcome, attemptsDone: fresh.attemptCount, createdAt: fresh.createdAt, now: new Date(), policy });
    const live = ['dialing', 'connected'] as const;
    if (outcome.outcome === 'canceled' && outcome.causeTxt === 'visitor opted out') {
      await this.finishRequest(request.id, live, 'canceled', 'visitor opted out during the call');
    } else if (step.action === 'complete') {
      await this.finishRequest(request.id, live, 'completed', null);
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
      await this.finishRequest(request.id, live, step.action === 'expire' ? 'expired' : 'failed', step.reason);
    }
    await this.deps.onAttemptEnded?.({ attemptId: session.target.attemptId, requestId: request.id, outcome });
  }

  private async finishRequest(id: string, from: readonly CallbackRequest['status'][], to: CallbackRequest['status'], reason: string | null): Promise<void> {
    const moved = await transitionRequest(this.deps.pool, id, from, to, reason);
    if (moved.ok) void this.deps.bus.publish({ type: 'request.status', requestId: id, status: to, reason, at: new Date().toISOString() });
  }
}
