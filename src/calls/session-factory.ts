import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Config } from '../platform/config.ts';
import type { EventBus } from '../platform/event-bus.ts';
import type { TelephonyPort } from '../telephony/telephony-port.ts';
import type { CallbackRequest } from '../requests/callback.types.ts';
import type { Department, Subscriber } from '../subscribers/subscriber.types.ts';
import type { TransitionWriter } from './session/dial-store.ts';
import { CallSession, type SessionSettings, type SessionTarget } from './session/call-session.ts';
import { AgentFirstSession } from './session/agent-first-session.ts';
import type { Outcome } from './flow/call-state.ts';
import type { CalleeTarget } from './flow/dial-decision.ts';
import { presentedNumber } from './flow/dial-check.ts';
import { callerId, trunkEndpoint } from './flow/dial-strings.ts';
import { offerOutcomeOf } from './flow/offer-outcome.ts';
import type { RetryPolicy } from './flow/retry-policy.ts';
import type { AgentDesk, AttemptEndListener, DialParties, OfferedAgent, OptOutSink } from './ports.ts';
import type { SessionRegistry } from './session-registry.ts';
import type { Settler } from './settle.ts';
import type { LegChecks } from './leg-checks.ts';

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

export interface SessionFactoryDeps {
  pool: Pool;
  port: TelephonyPort;
  bus: EventBus;
  log: Logger;
  config: Config;
  record: TransitionWriter;
  writeRetryMs: number;
  registry: SessionRegistry;
  settler: Settler;
  checks: LegChecks;
  attemptEnds?: AttemptEndListener;
  optOuts?: OptOutSink;
  agents?: AgentDesk;
}

/** One attempt to build a session for: its request's parties, and what the retry policy needs when it ends. */
export interface SessionOrder {
  attemptId: string;
  parties: DialParties;
  /** The request's attempt count as this attempt's claim left it. */
  attemptsDone: number;
  policy: RetryPolicy;
}

/**
 * The one place sessions are built, with the hooks that tie a call to the rest of the worker: the request's
 * status stream and its move when the call ends (settle.ts), the agent's reservation and console, the opt-out
 * list, the checks right before each leg (leg-checks.ts), and the listener told of every ended attempt.
 */
export class SessionFactory {
  constructor(private readonly deps: SessionFactoryDeps) {}

  /**
   * A customer-first call: the visitor is rung first, then `callee`. With `agent` (customer-first with agents), an
   * agent who does not take the call is replaced by the next free one while the visitor holds.
   */
  callSession(o: SessionOrder & { callee: CalleeTarget; agent?: { first: OfferedAgent; whisper: string[] } }): CallSession {
    const { config, log } = this.deps;
    const { request, subscriber, department } = o.parties;
    const requestId = request.id;
    const agents = o.agent ? this.deps.agents : undefined;
    let agentNow = o.agent?.first ?? null;
    const session: CallSession = new CallSession(
      sessionTarget(config.TRUNK_ENDPOINT, o.attemptId, request, subscriber, department, { endpoint: o.callee.endpoint }),
      { ...sessionSettings(config, subscriber.settings), ...(o.agent ? { whisper: o.agent.whisper } : {}) },
      this.sessionDeps(),
      {
        ended: async (outcome): Promise<void> => {
          if (agents && agentNow) {
            await agents.offerEnded({ agentId: agentNow.id, requestId, outcome: offerOutcomeOf(outcome) }).catch((err) => log.error({ err, requestId }, 'agent release failed'));
          }
          await this.attemptEnded(session, o, outcome);
        },
        ...(agents ? {
          nextCallee: async (why: { cause: number | null; causeTxt: string }): Promise<string | null> => {
            if (agentNow) await agents.offerEnded({ agentId: agentNow.id, requestId, outcome: offerOutcomeOf({ outcome: 'callee_unanswered', ...why }) });
            agentNow = await agents.nextAgent({ ...o.parties, attemptId: o.attemptId });
            return agentNow?.endpoint ?? null;
          },
        } : {}),
        phase: (phase) => {
          this.publishPhase(requestId, phase);
          if (phase === 'connected') void this.deps.settler.connected(requestId);
        },
        optOut: () => this.deps.optOuts?.optOut(request.phoneE164, subscriber.id) ?? Promise.resolve(),
        ...(o.callee.kind === 'phone' ? { calleeRefusal: () => this.deps.checks.calleeNow(requestId, o.callee.endpoint) } : {}),
      },
    );
    return session;
  }

  /**
   * An agent-first call: `agent` (already reserved) is offered the call and rung first; the visitor is dialed once
   * the agent is on the line. Ended before the visitor was dialed, the request goes straight back in line for the
   * next agent and `giveBack` returns the visitor number's call ceiling. `release` frees whichever agent holds the
   * call (for a session handed to recovery).
   */
  agentFirstSession(o: SessionOrder & { agent: OfferedAgent; giveBack: () => Promise<void> }): { session: AgentFirstSession; release(): Promise<void> } {
    const { config, log, bus } = this.deps;
    const agents = this.deps.agents!;
    const { request, subscriber, department } = o.parties;
    const { attemptId } = o;
    const requestId = request.id;
    // Who holds the call: the agent offered it, until a transfer hands it to another (released at the end, whoever it is).
    let holder: { id: string; name: string } | null = o.agent;
    const session: AgentFirstSession = new AgentFirstSession(
      sessionTarget(config.TRUNK_ENDPOINT, attemptId, request, subscriber, department, {
        endpoint: o.agent.endpoint, callerName: `${subscriber.name}: ${request.visitorName ?? ''}`.trim(),
      }),
      {
        ringTimeoutSec: config.RING_TIMEOUT, maxCallSec: config.MAX_CALL_SEC, offerTimeoutMs: config.AGENT_OFFER_TIMEOUT_SEC * 1000,
        autoAccept: o.agent.autoAnswer, progressMedia: config.AGENT_PROGRESS_MEDIA.split(','), mohClass: config.MOH_CLASS,
      },
      this.sessionDeps(),
      {
        ended: async (outcome, offer, visitorDialed): Promise<void> => {
          if (holder) await agents.offerEnded({ agentId: holder.id, requestId, outcome: offer }).catch((err) => log.error({ err, requestId }, 'agent release failed'));
          this.deps.registry.remove(attemptId, session);
          if (visitorDialed) return this.attemptEnded(session, o, outcome);
          await o.giveBack();
          await this.deps.settler.durably(requestId, () => agents.backInLine(requestId, `agent ${o.agent.name}: ${outcome.causeTxt ?? offer}`));
          await this.deps.attemptEnds?.attemptEnded({ attemptId, requestId, outcome });
        },
        phase: (phase) => {
          if (holder) void agents.tell(holder.id, { type: 'call', requestId, phase, at: new Date().toISOString() });
          // The visitor's status follows too: "finding someone" while the agent rings, then "calling you".
          if (phase !== 'ended') this.publishPhase(requestId, phase);
          if (phase === 'connected') void this.deps.settler.connected(requestId);
        },
        beforeVisitor: () => this.deps.checks.visitorNow(requestId),
        transferStarted: async (): Promise<void> => {
          // The visitor holds while the target rings: the agent's console and the visitor's status say so.
          if (holder) await agents.controls(holder.id, requestId, attemptId, { muted: session.muted, held: true });
          this.publishPhase(requestId, 'on_hold');
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
          void bus.publish({ type: 'attempt.updated', requestId, phase: session.held ? 'on_hold' : 'connected', at });
        },
      },
    );
    return { session, release: async () => { if (holder) await agents.offerEnded({ agentId: holder.id, requestId, outcome: 'canceled' }); } };
  }

  private sessionDeps() {
    const { pool, port, log, record, writeRetryMs } = this.deps;
    return { pool, port, log, record, writeRetryMs };
  }

  private publishPhase(requestId: string, phase: string): void {
    void this.deps.bus.publish({ type: 'attempt.updated', requestId, phase, at: new Date().toISOString() });
  }

  /** The attempt's final state is stored: the session leaves, the request moves on, and the listener is told. */
  private async attemptEnded(session: CallSession | AgentFirstSession, o: SessionOrder, outcome: Outcome): Promise<void> {
    const requestId = o.parties.request.id;
    this.deps.registry.remove(o.attemptId, session);
    await this.deps.settler.afterAttempt(o.parties.request, o.attemptsDone, o.policy, outcome);
    await this.deps.attemptEnds?.attemptEnded({ attemptId: o.attemptId, requestId, outcome });
  }
}
