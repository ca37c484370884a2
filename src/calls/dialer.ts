import { randomUUID } from 'node:crypto';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Config } from '../platform/config.ts';
import { markEnqueued, transitionRequest, type RequestToDial, type StrandedRequest } from '../requests/callback.repository.ts';
import { retryTransient } from '../platform/db/transient-retry.ts';
import type { SerialSession } from './session/serial-session.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { EventBus } from '../platform/event-bus.ts';
import { findDepartment, findSubscriberById, toDepartment, toSubscriber } from '../subscribers/subscriber.repository.ts';
import type { Department, Subscriber } from '../subscribers/subscriber.types.ts';
import type { CallbackRequest } from '../requests/callback.types.ts';
import { dialDigits } from '../phone/phone-number.ts';
import type { TelephonyEvent, TelephonyPort } from '../telephony/telephony-port.ts';
import { listTransitions, type AttemptRow, type NewAttempt } from './attempt.repository.ts';
import { createDialStore, type DialStore } from './session/dial-store.ts';
import { callIds, parseCallId } from './session/call-ids.ts';
import { CallSession, type SessionSettings, type SessionTarget } from './session/call-session.ts';
import { AgentFirstSession } from './session/agent-first-session.ts';
import type { AgentCallService, AgentPlan } from '../agents/agent-call.service.ts';
import { offerOutcomeOf } from '../agents/agent-call.service.ts';
import type { CallState, Outcome } from './flow/call-state.ts';
import { hoursFromSettings } from '../schedule/business-hours.ts';
import { retryOutsideHours, retryWithinHours } from '../schedule/retry-window.ts';
import { nextStep, policyFrom } from './flow/retry-policy.ts';
import { ceilingReason, type CallCeiling } from '../policy/call-ceiling.ts';
import { calleePhoneRefusal, presentedNumber, visitorRefusal } from './flow/dial-check.ts';
import { operatorDestinations, type OperatorDestinations } from '../policy/destination-policy.ts';
import { sipSafe } from '../platform/validation/text.ts';
import { EARLY_TOLERANCE_MS, jobFit } from './flow/job-step.ts';

/** Who answers on the subscriber's side for one attempt. */
export interface CalleeTarget {
  kind: 'phone' | 'agent'; endpoint: string; label: string;
  /** The number rung (kind `phone`): checked right before the dial to be one of the request's verified numbers. */
  phoneE164?: string;
}

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
  /**
   * Last word before a request is dialed: a reason not to, or null. `onDoNotCall` (the number is on the
   * do-not-call list) is read with the request, in the same statement.
   */
  mayDial?: (request: CallbackRequest, facts: { onDoNotCall: boolean }) => Promise<string | null> | string | null;
  /** Called after an attempt's final state is stored (call records, metrics). */
  onAttemptEnded?: (a: { attemptId: string; requestId: string; outcome: Outcome }) => Promise<void> | void;
  /** Call-center agents (src/agents): requests of subscribers/departments answered by agents go through it. */
  agents?: AgentCallService;
  /** Calls per visitor number across the installation (src/policy/call-ceiling.ts); absent = no ceiling. */
  ceiling?: CallCeiling;
}

function dialParties(found: RequestToDial): { subscriber: Subscriber | null; department: Department | null } {
  const subscriber = found.subscriberRow ? toSubscriber(found.subscriberRow) : null;
  const department = found.request.departmentId && found.departmentRow ? toDepartment(found.departmentRow) : null;
  return { subscriber, department };
}

/** A request's age counts from the time it was meant to be called (scheduled), not from when it was made. */
function ageFrom(r: CallbackRequest): Date {
  return r.scheduledAt && r.scheduledAt > r.createdAt ? r.scheduledAt : r.createdAt;
}

export function trunkEndpoint(template: string, e164: string): string {
  return template.replace('{number}', dialDigits(e164));
}

/** The caller id a phone shows: name and number both pass sipSafe (no CR/LF or quotes can reach a SIP header). */
export function callerId(name: string | null, e164: string): string {
  const clean = sipSafe(name ?? '').slice(0, 40).trim();
  const number = sipSafe(e164);
  return clean ? `"${clean}" <${number}>` : number;
}

/** What a session needs to place both legs of one attempt; the callee always comes from our own data. */
export function sessionTarget(
  trunk: string, attemptId: string, request: CallbackRequest, subscriber: Subscriber, department: Department | null,
  callee: { endpoint: string; callerName?: string | null },
): SessionTarget {
  return {
    attemptId, requestId: request.id,
    visitorNumber: request.phoneE164,
    visitorEndpoint: trunkEndpoint(trunk, request.phoneE164),
    // Only a verified number is ever shown (dial-check.ts); none at all when agents answer and nothing is verified.
    visitorCallerId: callerId(subscriber.name, presentedNumber(subscriber, department) ?? ''),
    calleeEndpoint: callee.endpoint,
    calleeCallerId: callerId(callee.callerName === undefined ? request.visitorName : callee.callerName, request.phoneE164),
    accountCode: subscriber.slug,
  };
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
  /** Attempts whose channels Asterisk is hanging up because it is shutting down. */
  private readonly exchangeLost = new Set<string>();
  /** Agent-first calls (their own state machine, agent-first-state.ts); recovery reconciles them apart (reconcileAgentFirst). */
  readonly agentSessions = new Map<string, AgentFirstSession>();
  /** Attempts being rebuilt by resume (their sessions not registered yet). */
  private readonly resuming = new Set<string>();
  /**
   * Attempts whose session was handed to recovery (a write of its state kept failing): recovery re-adopts them
   * from their stored state at its next pass, however young they are.
   */
  readonly handedToRecovery = new Set<string>();
  /** Called when a session is handed to recovery (the worker runs a reconciliation pass). */
  onHandedToRecovery: (() => void) | null = null;
  /** How long a failed write (a call's state, a request's move after an attempt) is retried. */
  private readonly writeRetryMs: number;
  private draining = false;
  /** The statements of concurrent calls share round trips (dial-store.ts). */
  private readonly store: DialStore;
  private readonly record: DialStore['record'];
  /** The operator's destination policy (config), which every dial is checked against. */
  private readonly destinations: OperatorDestinations;

  constructor(private readonly deps: DialerDeps) {
    this.destinations = operatorDestinations(deps.config);
    this.writeRetryMs = deps.config.CALL_WRITE_RETRY_SEC * 1000;
    this.store = createDialStore(deps.pool);
    this.record = this.store.record;
    deps.port.onEvent((e) => this.route(e));
  }

  get activeCalls(): number { return this.sessions.size + this.agentSessions.size; }

  /** Stops taking new attempts (SIGTERM); calls in progress go on. */
  drain(): void { this.draining = true; }

  /**
   * `job`: the step of the queue job that asks (callback-queue.ts's jobStep). A job for a step the request has
   * left is dropped (`stale`), one that fires before the step is due is put back for the due time (`early`), and
   * the claim checks both again in its statement. Without `job` (a direct call) the request is dialed if open.
   */
  async startAttempt(requestId: string, job?: { attempt: number | null }): Promise<'dialed' | 'skipped' | 'stale' | 'early'> {
    const { pool, log } = this.deps;
    if (this.draining) throw new Error('worker is shutting down');
    // The request, its subscriber and department, and the do-not-call flag: one statement (shared with
    // concurrent jobs).
    const found = await this.store.load(requestId);
    if (!found) return 'skipped';
    const { request } = found;
    if (request.status !== 'queued' && request.status !== 'scheduled') return 'skipped';
    if (job) {
      const fit = jobFit(request, job, Date.now());
      if (fit.fit === 'stale') {
        log.info({ requestId, jobAttempt: job.attempt, attempts: request.attemptCount }, 'queue job for an earlier step dropped');
        return 'stale';
      }
      if (fit.fit === 'early') {
        await this.deps.queue.redelay({ requestId, attempt: job.attempt }, fit.dueAt.getTime());
        log.info({ requestId, dueAt: fit.dueAt.toISOString() }, 'queue job ran before its step was due; put back until then');
        return 'early';
      }
    }
    // What the claim holds the request to: still at the job's step, and due.
    const step = job ? { expectAttempts: job.attempt, dueBy: new Date(Date.now() + EARLY_TOLERANCE_MS) } : {};
    const { subscriber, department } = dialParties(found);
    if (!subscriber) return 'skipped';
    const policy = policyFrom(subscriber.settings);
    if (Date.now() - ageFrom(request).getTime() > policy.maxAgeSec * 1000) {
      await this.finishRequest(request.id, ['queued', 'scheduled'], 'expired', 'too old to call back');
      return 'skipped';
    }
    if (subscriber.status !== 'active') {
      await this.finishRequest(request.id, ['queued', 'scheduled'], 'failed', 'subscriber suspended');
      return 'skipped';
    }
    const refusal = await this.deps.mayDial?.(request, { onDoNotCall: found.onDoNotCall });
    if (refusal) {
      await this.finishRequest(request.id, ['queued', 'scheduled'], 'canceled', refusal);
      return 'skipped';
    }
    // The destination as the policy stands now, for the subscriber as it is now (read with the request).
    const visitorRefused = visitorRefusal(request.phoneE164, subscriber, this.destinations);
    if (visitorRefused) return this.refuse(request.id, visitorRefused.reason);
    const attemptId = randomUUID();
    const plan: AgentPlan = this.deps.agents ? await this.deps.agents.plan({ request, subscriber, department, attemptId }) : { kind: 'not_agents' };
    if (plan.kind === 'wait') return 'skipped';
    if (plan.kind === 'agent_first') return this.startAgentFirst(request, subscriber, department, attemptId, plan, policy, step);
    const callee = plan.kind === 'customer_first'
      ? { kind: 'agent' as const, endpoint: plan.agent.endpoint, label: plan.agent.name }
      : await (this.deps.resolveCallee ?? this.defaultCallee.bind(this))({ request, subscriber, department });
    if (!callee) {
      await this.finishRequest(request.id, ['queued', 'scheduled'], 'failed', 'nobody to connect the call to');
      return 'skipped';
    }
    if (callee.kind === 'phone') {
      const calleeRefused = calleePhoneRefusal(callee.phoneE164, subscriber, department, this.destinations);
      if (calleeRefused) return this.refuse(request.id, calleeRefused.reason);
    }
    const ceiling = await this.ceilingFor(request, plan.kind === 'customer_first' ? plan.agent.id : null);
    if (!ceiling) return 'skipped';
    let agentNow = plan.kind === 'customer_first' ? plan.agent : null;
    let attemptsDone = 0;
    const session: CallSession = new CallSession(
      sessionTarget(this.deps.config.TRUNK_ENDPOINT, attemptId, request, subscriber, department, { endpoint: callee.endpoint }),
      { ...sessionSettings(this.deps.config, subscriber.settings), ...(plan.kind === 'customer_first' ? { whisper: plan.whisper } : {}) },
      { pool, port: this.deps.port, log, record: this.record, writeRetryMs: this.writeRetryMs },
      {
        ended: async (outcome): Promise<void> => {
          if (agentNow) {
            await this.deps.agents!.offerEnded({ agentId: agentNow.id, requestId, outcome: offerOutcomeOf(outcome) }).catch((err) => log.error({ err, requestId }, 'agent release failed'));
          }
          await this.attemptEnded(session, request, attemptsDone, policy, outcome);
        },
        ...(plan.kind === 'customer_first' ? {
          // Customer-first with agents: while the visitor holds, an agent who does not take the call is replaced.
          nextCallee: async (why: { cause: number | null; causeTxt: string }): Promise<string | null> => {
            const agents = this.deps.agents!;
            if (agentNow) await agents.offerEnded({ agentId: agentNow.id, requestId, outcome: offerOutcomeOf({ outcome: 'callee_unanswered', ...why }) });
            agentNow = await agents.nextAgent({ request, subscriber, department, attemptId });
            return agentNow?.endpoint ?? null;
          },
        } : {}),
        phase: (phase) => {
          void this.deps.bus.publish({ type: 'attempt.updated', requestId, phase, at: new Date().toISOString() });
          if (phase === 'connected') void this.markConnected(requestId);
        },
        optOut: () => this.deps.onOptOut?.(request.phoneE164, subscriber.id) ?? Promise.resolve(),
        ...(callee.kind === 'phone' ? { calleeRefusal: () => this.calleeRefusalNow(request.id, callee.endpoint) } : {}),
      },
    );
    const claimed = await this.store.claim({
      id: attemptId, requestId, flow: 'visitor_first', state: 'visitor_ringing', workerId: this.deps.workerId,
      visitorChannelId: session.ids.visitor, calleeChannelId: session.ids.callee, bridgeId: session.ids.bridge,
      calleeKind: callee.kind, calleeEndpoint: callee.endpoint, ...step,
    });
    if (claimed === null) {
      await ceiling.giveBack();
      if (plan.kind === 'customer_first') await this.deps.agents!.offerEnded({ agentId: plan.agent.id, requestId, outcome: 'canceled' });
      return 'skipped';
    }
    // Only claims change attempt_count, and no other claim succeeds while this attempt runs: this is the count
    // the retry policy needs when the attempt ends, without reading the request again.
    attemptsDone = claimed;
    if (plan.kind === 'customer_first') this.deps.agents!.offerReady({ agentId: plan.agent.id, requestId, attemptId, mode: 'customer_first' });
    this.register(this.sessions, attemptId, session);
    void this.deps.bus.publish({ type: 'request.status', requestId, status: 'dialing', at: new Date().toISOString() });
    await session.start();
    return 'dialed';
  }

  /**
   * Agent-first: the agent (already reserved) is offered the call and rung first; the visitor is dialed once the
   * agent is on the line. An agent who does not take it puts the request straight back in line for the next one.
   */
  private async startAgentFirst(
    request: CallbackRequest, subscriber: Subscriber, department: Department | null, attemptId: string,
    plan: Extract<AgentPlan, { kind: 'agent_first' }>, policy: ReturnType<typeof policyFrom>,
    step: Pick<NewAttempt, 'expectAttempts' | 'dueBy'>,
  ): Promise<'dialed' | 'skipped'> {
    const { pool, log, config } = this.deps;
    const agents = this.deps.agents!;
    const requestId = request.id;
    const ceiling = await this.ceilingFor(request, plan.agent.id);
    if (!ceiling) return 'skipped';
    let attemptsDone = 0;
    // Who holds the call: the agent offered it, until a transfer hands it to another (released at the end, whoever it is).
    let holder: { id: string; name: string } | null = plan.agent;
    const session: AgentFirstSession = new AgentFirstSession(
      sessionTarget(config.TRUNK_ENDPOINT, attemptId, request, subscriber, department, {
        endpoint: plan.agent.endpoint, callerName: `${subscriber.name}: ${request.visitorName ?? ''}`.trim(),
      }),
      {
        ringTimeoutSec: config.RING_TIMEOUT, maxCallSec: config.MAX_CALL_SEC, offerTimeoutMs: config.AGENT_OFFER_TIMEOUT_SEC * 1000,
        autoAccept: plan.agent.autoAnswer, progressMedia: config.AGENT_PROGRESS_MEDIA.split(','), mohClass: config.MOH_CLASS,
      },
      { pool, port: this.deps.port, log, record: this.record, writeRetryMs: this.writeRetryMs },
      {
        ended: async (outcome, offer, visitorDialed): Promise<void> => {
          if (holder) await agents.offerEnded({ agentId: holder.id, requestId, outcome: offer }).catch((err) => log.error({ err, requestId }, 'agent release failed'));
          this.agentSessions.delete(attemptId);
          if (visitorDialed) return this.attemptEnded(session, request, attemptsDone, policy, outcome);
          await ceiling.giveBack();
          await this.durably(requestId, () => agents.backInLine(requestId, `agent ${plan.agent.name}: ${outcome.causeTxt ?? offer}`));
          await this.deps.onAttemptEnded?.({ attemptId, requestId, outcome });
        },
        phase: (phase) => {
          if (holder) void agents.tell(holder.id, { type: 'call', requestId, phase, at: new Date().toISOString() });
          // The visitor's status follows too: "finding someone" while the agent rings, then "calling you".
          if (phase !== 'ended') void this.deps.bus.publish({ type: 'attempt.updated', requestId, phase, at: new Date().toISOString() });
          if (phase === 'connected') void this.markConnected(requestId);
        },
        beforeVisitor: () => this.visitorCheckNow(requestId),
        transferStarted: async (): Promise<void> => {
          // The visitor holds while the target rings: the agent's console and the visitor's status say so.
          if (holder) await agents.controls(holder.id, requestId, attemptId, { muted: session.muted, held: true });
          void this.deps.bus.publish({ type: 'attempt.updated', requestId, phase: 'on_hold', at: new Date().toISOString() });
        },
        transferEnded: async (target, tookOver): Promise<void> => {
          const at = new Date().toISOString();
          const first = holder;
          if (!first) return;
          if (tookOver && target.agentId === null) {
            // A department's phone took the call: no agent holds it any more.
            holder = null;
            await agents.offerEnded({ agentId: first.id, requestId, outcome: 'connected' }).catch((err) => log.error({ err, requestId }, 'agent release failed'));
          } else if (tookOver && target.agentId && await agents.handOver({ fromAgentId: first.id, toAgentId: target.agentId, requestId, attemptId })) {
            holder = { id: target.agentId, name: target.name };
            void agents.tell(first.id, { type: 'call', requestId, phase: 'ended', outcome: 'connected', at });
            void agents.tell(holder.id, { type: 'call', requestId, phase: 'connected', at });
          } else {
            if (tookOver) log.error({ requestId, target: target.agentId }, 'transfer answered but the target could not take the call over');
            if (target.agentId) await agents.transferTargetFree(target.agentId, attemptId);
            if (session.state !== 'ended') await agents.controls(first.id, requestId, attemptId, { muted: session.muted, held: session.held });
          }
          void this.deps.bus.publish({ type: 'attempt.updated', requestId, phase: session.held ? 'on_hold' : 'connected', at });
        },
      },
    );
    const claimed = await this.store.claim({
      id: attemptId, requestId, flow: 'agent_first', state: 'offered', workerId: this.deps.workerId,
      visitorChannelId: session.ids.visitor, calleeChannelId: session.ids.callee, bridgeId: session.ids.bridge,
      calleeKind: 'agent', calleeEndpoint: plan.agent.endpoint, ...step,
    });
    if (claimed === null) {
      await ceiling.giveBack();
      await agents.offerEnded({ agentId: plan.agent.id, requestId, outcome: 'canceled' });
      return 'skipped';
    }
    attemptsDone = claimed;
    agents.offerReady({ agentId: plan.agent.id, requestId, attemptId, mode: 'agent_first' });
    this.register(this.agentSessions, attemptId, session, async () => { if (holder) await agents.offerEnded({ agentId: holder.id, requestId, outcome: 'canceled' }); });
    void this.deps.bus.publish({ type: 'request.status', requestId, status: 'dialing', at: new Date().toISOString() });
    await session.start();
    return 'dialed';
  }

  /**
   * Rebuilds the session of an attempt that a previous process of this worker left in flight (recovery.ts), in
   * its stored state with the legs Asterisk still has. Null when the request or subscriber is gone.
   */
  async resume(a: AttemptRow, callee: CalleeTarget, legs: { visitorUp: boolean; calleeUp: boolean }): Promise<CallSession | null> {
    // Agent-first calls run their own state machine: live ones are not orphans, and orphaned ones are ended.
    // One resume per attempt: a reconciliation pass and a takeover may find the same orphan at once.
    if (this.agentSessions.has(a.id) || this.sessions.has(a.id) || this.resuming.has(a.id)) return null;
    this.resuming.add(a.id);
    try {
      return await this.resumeOnce(a, callee, legs);
    } finally {
      this.resuming.delete(a.id);
    }
  }

  private async resumeOnce(a: AttemptRow, callee: CalleeTarget, legs: { visitorUp: boolean; calleeUp: boolean }): Promise<CallSession | null> {
    const { pool, log } = this.deps;
    if ((await listTransitions(pool, a.id))[0]?.to === 'offered') {
      await this.endOrphanedAgentFirst(a);
      return null;
    }
    const found = await this.store.load(a.requestId);
    if (!found) return null;
    const { request } = found;
    const { subscriber, department } = dialParties(found);
    if (!subscriber) return null;
    const policy = policyFrom(subscriber.settings);
    const session: CallSession = new CallSession(
      sessionTarget(this.deps.config.TRUNK_ENDPOINT, a.id, request, subscriber, department, { endpoint: callee.endpoint }),
      sessionSettings(this.deps.config, subscriber.settings),
      { pool, port: this.deps.port, log, record: this.record, writeRetryMs: this.writeRetryMs },
      {
        ended: (outcome): Promise<void> => this.attemptEnded(session, request, request.attemptCount, policy, outcome),
        phase: (phase) => {
          void this.deps.bus.publish({ type: 'attempt.updated', requestId: request.id, phase, at: new Date().toISOString() });
          if (phase === 'connected') void this.markConnected(request.id);
        },
        optOut: () => this.deps.onOptOut?.(request.phoneE164, subscriber.id) ?? Promise.resolve(),
        ...(callee.kind === 'phone' ? { calleeRefusal: () => this.calleeRefusalNow(request.id, callee.endpoint) } : {}),
      },
    );
    // A replacement callee's leg has a channel id of its own: the attempt stores the one rung last.
    if (a.calleeChannelId) session.useCalleeChannel(a.calleeChannelId);
    session.adopt(a.state as CallState, legs);
    this.register(this.sessions, a.id, session);
    log.info({ attemptId: a.id, requestId: request.id, state: a.state, ...legs }, 'attempt re-adopted after restart');
    return session;
  }

  /**
   * An agent-first attempt left by a previous process: its legs are hung up and it is recorded as canceled; the
   * request goes back in line (the agent's reservation was released when this worker started).
   */
  private async endOrphanedAgentFirst(a: AttemptRow): Promise<void> {
    const { port, log } = this.deps;
    const ids = callIds(a.id);
    for (const ch of [ids.visitor, a.calleeChannelId ?? ids.callee]) await port.hangup(ch).catch(() => {});
    await port.destroyBridge(ids.bridge).catch(() => {});
    await this.record({ attemptId: a.id, from: a.state, event: 'lost', to: 'ended', outcome: { outcome: 'canceled', cause: null, causeTxt: 'worker restarted during an agent-first call' } });
    if (a.state === 'connected' || a.state === 'transferring' || a.state === 'visitor_ringing') {
      // The visitor was reached (or being called): the retry policy decides, as for any call that broke off.
      await this.finishRequest(a.requestId, ['dialing', 'connected'], 'failed', 'call lost when the worker restarted');
    } else {
      await this.deps.agents?.backInLine(a.requestId, 'worker restarted before the agent answered');
    }
    log.warn({ attemptId: a.id, state: a.state }, 'orphaned agent-first attempt ended');
  }

  /**
   * Registers a live session. One handed to recovery (serial-session.ts) is forgotten here at once: its events go
   * nowhere, and recovery rebuilds the call from its stored state (`handedToRecovery`).
   */
  private register<T extends SerialSession<any, any>>(map: Map<string, T>, attemptId: string, session: T, release?: () => Promise<void>): void {
    session.storedAt = Date.now();
    session.onDetach = () => {
      if (map.get(attemptId) === session) map.delete(attemptId);
      this.handedToRecovery.add(attemptId);
      if (release) void release().catch((err: Error) => this.deps.log.warn({ attemptId, err: err.message }, 'agent not released'));
      this.onHandedToRecovery?.();
    };
    map.set(attemptId, session);
  }

  private async defaultCallee({ subscriber, department }: { subscriber: Subscriber; department: Department | null }): Promise<CalleeTarget | null> {
    const phone = department?.phoneE164 ?? subscriber.phoneE164;
    if (!phone) return null;
    return { kind: 'phone', endpoint: trunkEndpoint(this.deps.config.TRUNK_ENDPOINT, phone), label: department?.name ?? subscriber.name, phoneE164: phone };
  }

  /**
   * Right before an agent-first call's visitor leg (the agent was offered the call and rung first): the visitor's
   * number against the policy as it is now, and the caller id from the subscriber's verified numbers as they are now.
   */
  private async visitorCheckNow(requestId: string): Promise<{ refused: string } | { callerId: string }> {
    const found = await this.store.load(requestId);
    const { subscriber, department } = found ? dialParties(found) : { subscriber: null, department: null };
    if (!found || !subscriber) return { refused: 'refused: the subscriber no longer exists' };
    const refused = visitorRefusal(found.request.phoneE164, subscriber, this.destinations);
    if (refused) return { refused: refused.reason };
    return { callerId: callerId(subscriber.name, presentedNumber(subscriber, department) ?? '') };
  }

  /**
   * A department's phone as the target of a transfer, checked right before it is rung like any callee phone
   * (verified, allowed): its endpoint and name, or why not.
   */
  async phoneTransferTarget(subscriberId: string, departmentId: string): Promise<{ endpoint: string; name: string } | { refused: string }> {
    const subscriber = await findSubscriberById(this.deps.pool, subscriberId);
    const department = subscriber ? await findDepartment(this.deps.pool, subscriberId, departmentId) : null;
    if (!subscriber || !department) return { refused: 'refused: no such department' };
    const refused = calleePhoneRefusal(department.phoneE164, subscriber, department, this.destinations);
    if (refused) return { refused: refused.reason };
    return { endpoint: trunkEndpoint(this.deps.config.TRUNK_ENDPOINT, department.phoneE164!), name: department.name };
  }

  /** A request refused by the check right before its dial: nothing is dialed and the owner sees why. */
  private async refuse(requestId: string, reason: string): Promise<'skipped'> {
    this.deps.log.warn({ requestId, reason }, 'dial refused');
    await this.finishRequest(requestId, ['queued', 'scheduled'], 'failed', reason);
    return 'skipped';
  }

  /**
   * Right before the callee leg of a call whose callee is a phone: the request's subscriber and department read
   * afresh; the phone this attempt was set up to ring must still be the one they name, verified and allowed.
   */
  private async calleeRefusalNow(requestId: string, endpoint: string): Promise<string | null> {
    const found = await this.store.load(requestId);
    const { subscriber, department } = found ? dialParties(found) : { subscriber: null, department: null };
    if (!subscriber) return 'refused: the subscriber no longer exists';
    const phone = department?.phoneE164 ?? subscriber.phoneE164;
    if (!phone || trunkEndpoint(this.deps.config.TRUNK_ENDPOINT, phone) !== endpoint) {
      return 'refused: the phone to connect the call to changed during the call; verify the new one in the portal';
    }
    return calleePhoneRefusal(phone, subscriber, department, this.destinations)?.reason ?? null;
  }

  /**
   * The visitor number's call ceiling (src/policy/call-ceiling.ts), taken right before the attempt that rings the
   * visitor is claimed. Over it nothing is dialed and the request fails with the reason; it is not rescheduled:
   * the number has been rung as often as a person tolerates, and a call hours later is not the call-back the
   * visitor asked for (they can ask again). `giveBack` when the visitor leg is not placed after all.
   */
  private async ceilingFor(request: CallbackRequest, reservedAgentId: string | null): Promise<{ giveBack(): Promise<void> } | null> {
    const ceiling = this.deps.ceiling;
    if (!ceiling) return { giveBack: async () => {} };
    const verdict = await ceiling.take(request.phoneE164);
    if (verdict.placed) return { giveBack: () => ceiling.giveBack(request.phoneE164, verdict.ticket) };
    const reason = ceilingReason(verdict.window);
    this.deps.log.warn({ requestId: request.id, reason }, 'dial refused by the call ceiling');
    if (reservedAgentId) await this.deps.agents!.offerEnded({ agentId: reservedAgentId, requestId: request.id, outcome: 'canceled' });
    await this.finishRequest(request.id, ['queued', 'scheduled'], 'failed', reason);
    return null;
  }

  private route(e: TelephonyEvent): void {
    if (e.type === 'connection.lost' || e.type === 'connection.restored') return;
    const id = 'playbackId' in e ? e.playbackId : 'channelId' in e ? e.channelId : null;
    const parsed = id ? parseCallId(id) : null;
    if (!parsed) return;
    const session = this.sessions.get(parsed.attemptId) ?? this.agentSessions.get(parsed.attemptId);
    if (!session) return;
    const leg = parsed.leg;
    // The leg of a transfer target being rung: its answer or end decides the transfer, not the call.
    if (session instanceof AgentFirstSession && session.transfer && 'channelId' in e && e.channelId === session.transfer.leg) {
      if (e.type === 'call.answered') void session.dispatch({ type: 'transfer.answered', leg: e.channelId });
      if (e.type === 'call.ended') void session.dispatch({ type: 'transfer.ended', leg: e.channelId, cause: e.cause, causeTxt: e.causeTxt });
      return;
    }
    // An earlier callee leg of the attempt (an agent replaced by the next one) is no longer the session's.
    if (leg === 'callee' && 'channelId' in e && e.channelId !== session.ids.callee) return;
    switch (e.type) {
      case 'call.answered':
        void session.dispatch({ type: leg === 'visitor' ? 'visitor.answered' : 'callee.answered' });
        if (leg === 'visitor') void this.deps.bus.publish({ type: 'request.status', requestId: session.target.requestId, status: 'dialing', phase: 'visitor_answered', at: new Date().toISOString() });
        return;
      case 'call.hangup_requested':
        // Asterisk shutting down hangs every channel up with cause 4 (traces/asterisk-restart): those calls are
        // lost, not abandoned by the visitor, and the retry policy gets to try again.
        if (e.cause === 4) this.exchangeLost.add(parsed.attemptId);
        return;
      case 'call.ended':
        if (this.exchangeLost.delete(parsed.attemptId) && session instanceof CallSession) {
          void session.lose('Asterisk went down during the call');
          return;
        }
        void session.dispatch({ type: leg === 'visitor' ? 'visitor.ended' : 'callee.ended', cause: e.cause, causeTxt: e.causeTxt });
        return;
      case 'dtmf.received':
        if (leg === 'visitor') void session.dispatch({ type: 'visitor.dtmf', digit: e.digit });
        return;
      case 'playback.finished':
        if (parsed.prompt === 'confirm' || parsed.prompt === 'announce' || parsed.prompt === 'whisper') void session.dispatch({ type: 'prompt.finished', prompt: parsed.prompt });
        return;
      default:
        return;
    }
  }

  /**
   * `attemptsDone` is the request's attempt count as this attempt's claim left it; the request's creation and
   * scheduled times never change, so the request as read before the claim serves.
   */
  private async attemptEnded(session: { target: SessionTarget }, request: CallbackRequest, attemptsDone: number, policy: ReturnType<typeof policyFrom>, outcome: Outcome): Promise<void> {
    this.sessions.delete(session.target.attemptId);
    await this.durably(request.id, () => this.settleRequest(request, attemptsDone, policy, outcome));
    await this.deps.onAttemptEnded?.({ attemptId: session.target.attemptId, requestId: request.id, outcome });
  }

  /**
   * A request's move after an attempt ended, retried while PostgreSQL fails (each step is conditional on the
   * request's status, so a try that did commit is not repeated). Past the bound it is left `dialing`/`connected`
   * with every attempt ended, and recovery settles it (settleStranded).
   */
  private async durably(requestId: string, move: () => Promise<void>): Promise<void> {
    await retryTransient(move, {
      boundMs: this.writeRetryMs,
      onRetry: (err, retryInMs) => this.deps.log.warn({ requestId, err: err.message, retryInMs }, 'request not moved after its attempt; retrying'),
    }).catch((err: Error) => this.deps.log.error({ requestId, err: err.message }, 'request not moved after its attempt; left to recovery'));
  }

  /**
   * A request whose attempts have all ended but that is still `dialing`/`connected` (listStrandedRequests): moved as
   * the end of its last attempt would have moved it. Whether it moved (another worker may have settled it first).
   */
  async settleStranded(s: StrandedRequest): Promise<boolean> {
    const found = await this.store.load(s.id);
    if (!found || (found.request.status !== 'dialing' && found.request.status !== 'connected')) return false;
    const { request } = found;
    const outcome: Outcome = { outcome: s.outcome ?? 'failed', cause: s.cause, causeTxt: s.causeTxt ?? 'the attempt ended with no outcome stored' };
    this.deps.log.warn({ requestId: s.id, attemptId: s.attemptId, outcome: outcome.outcome }, 'request left in flight after its last attempt ended; settling it');
    if (s.visitorNeverDialed && this.deps.agents) {
      await this.deps.agents.backInLine(s.id, `attempt ended before the visitor was dialed: ${outcome.causeTxt}`);
      return true;
    }
    const subscriber = found.subscriberRow ? toSubscriber(found.subscriberRow) : null;
    await this.settleRequest(request, request.attemptCount, policyFrom(subscriber?.settings ?? {}), outcome);
    return true;
  }

  /** Moves the request as the retry policy says after an attempt that ended with `outcome`. */
  private async settleRequest(request: CallbackRequest, attemptsDone: number, policy: ReturnType<typeof policyFrom>, outcome: Outcome): Promise<void> {
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
    const live = ['dialing', 'connected'] as const;
    if (outcome.outcome === 'canceled' && outcome.causeTxt === 'visitor opted out') {
      await this.finishRequest(request.id, live, 'canceled', 'visitor opted out during the call');
    } else if (outcome.outcome === 'refused') {
      await this.finishRequest(request.id, live, 'failed', outcome.causeTxt ?? 'refused at dial time');
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
  }

  /**
   * Both parties are bridged: the request is `connected` (stored, so the status API, status page, portal and agent
   * console all say so). Only from `dialing`: if the call already ended and the request moved on, nothing changes.
   */
  private async markConnected(requestId: string): Promise<void> {
    await this.finishRequest(requestId, ['dialing'], 'connected', null)
      .catch((err: Error) => this.deps.log.warn({ requestId, err: err.message }, 'request not marked connected'));
  }

  private async finishRequest(id: string, from: readonly CallbackRequest['status'][], to: CallbackRequest['status'], reason: string | null): Promise<void> {
    const moved = await this.store.move({ id, from, to, reason });
    if (moved) void this.deps.bus.publish({ type: 'request.status', requestId: id, status: to, reason, at: new Date().toISOString() });
  }
}
