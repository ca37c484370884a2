import { randomUUID } from 'node:crypto';
import type { Logger } from '../platform/logger.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { EventBus } from '../platform/event-bus.ts';
import type { CallbackRequest } from '../requests/callback.types.ts';
import { WAITING_STATUSES } from '../requests/request-lifecycle.ts';
import { ceilingReason, type CallCeiling } from '../policy/call-ceiling.ts';
import type { OperatorDestinations } from '../policy/destination-policy.ts';
import type { NewAttempt } from './attempt.repository.ts';
import { partiesOf, type DialStore } from './session/dial-store.ts';
import { callIds } from './session/call-ids.ts';
import { agentCallee, calleeVerdict, dialVerdict, phoneCallee, type CloseVerdict } from './flow/dial-decision.ts';
import { EARLY_TOLERANCE_MS } from './flow/job-step.ts';
import type { RetryPolicy } from './flow/retry-policy.ts';
import type { AgentDesk, AgentPlan, CalleeDirectory, DialParties, OfferedAgent } from './ports.ts';
import type { SessionRegistry } from './session-registry.ts';
import type { SessionFactory } from './session-factory.ts';
import type { Settler } from './settle.ts';

export interface StarterDeps {
  store: DialStore;
  queue: CallbackQueue;
  bus: EventBus;
  log: Logger;
  workerId: string;
  trunk: string;
  /** The operator's destination policy (config), which every dial is checked against. */
  destinations: OperatorDestinations;
  registry: SessionRegistry;
  factory: SessionFactory;
  settler: Settler;
  callees?: CalleeDirectory;
  agents?: AgentDesk;
  /** Calls per visitor number across the installation (src/policy/call-ceiling.ts); absent = no ceiling. */
  ceiling?: CallCeiling;
}

type Step = Pick<NewAttempt, 'expectAttempts' | 'dueBy'>;

/**
 * Turns a queued request into a call attempt: loads the facts, asks the dial decision (flow/dial-decision.ts),
 * and acts on it. The state change to `dialing` (with the attempt number) is committed before anything is
 * originated, and it only succeeds from `queued`/`scheduled`: a redelivered job or a second worker finds `dialing`
 * and stops.
 */
export class AttemptStarter {
  private draining = false;

  constructor(private readonly deps: StarterDeps) {}

  /** Stops taking new attempts (SIGTERM); calls in progress go on. */
  drain(): void { this.draining = true; }

  /**
   * `job`: the step of the queue job that asks (callback-queue.ts's jobStep). A job for a step the request has
   * left is dropped (`stale`), one that fires before the step is due is put back for the due time (`early`), and
   * the claim checks both again in its statement. Without `job` (a direct call) the request is dialed if open.
   */
  async start(requestId: string, job?: { attempt: number | null }): Promise<'dialed' | 'skipped' | 'stale' | 'early'> {
    const { store, log, destinations } = this.deps;
    if (this.draining) throw new Error('worker is shutting down');
    // The request, its subscriber and department, and the do-not-call flag: one statement (shared with
    // concurrent jobs).
    const found = await store.load(requestId);
    if (!found) return 'skipped';
    const { request } = found;
    // A web call is started by the browser's call reaching the worker (web-call-starter.ts), never by the queue.
    if (request.kind === 'webcall') return 'skipped';
    const { subscriber, department } = partiesOf(found);
    const verdict = dialVerdict({ request, subscriber, onDoNotCall: found.onDoNotCall }, job, Date.now(), destinations);
    switch (verdict.verdict) {
      case 'skip': return 'skipped';
      case 'stale':
        log.info({ requestId, jobAttempt: job?.attempt, attempts: request.attemptCount }, 'queue job for an earlier step dropped');
        return 'stale';
      case 'early':
        await this.deps.queue.redelay({ requestId, attempt: job?.attempt ?? null }, verdict.dueAt.getTime());
        log.info({ requestId, dueAt: verdict.dueAt.toISOString() }, 'queue job ran before its step was due; put back until then');
        return 'early';
      case 'close':
        return this.close(requestId, verdict);
      case 'dial':
        break;
    }
    // What the claim holds the request to: still at the job's step, and due.
    const step: Step = job ? { expectAttempts: job.attempt, dueBy: new Date(Date.now() + EARLY_TOLERANCE_MS) } : {};
    const parties: DialParties = { request, subscriber: verdict.subscriber, department };
    const attemptId = randomUUID();
    const plan: AgentPlan = this.deps.agents ? await this.deps.agents.plan({ ...parties, attemptId }) : { kind: 'not_agents' };
    if (plan.kind === 'wait') return 'skipped';
    if (plan.kind === 'agent_first') return this.startAgentFirst(parties, attemptId, plan.agent, verdict.policy, step);
    const asked = plan.kind === 'customer_first' ? agentCallee(plan.agent)
      : this.deps.callees ? await this.deps.callees.resolve(parties)
      : phoneCallee(this.deps.trunk, parties.subscriber, department);
    const ring = calleeVerdict(asked, parties.subscriber, department, destinations);
    if (ring.verdict === 'close') return this.close(requestId, ring);
    const { callee } = ring;
    const agent = plan.kind === 'customer_first' ? plan.agent : null;
    const ceiling = await this.ceilingFor(request, agent?.id ?? null);
    if (!ceiling) return 'skipped';
    const ids = callIds(attemptId);
    const claimed = await store.claim({
      id: attemptId, requestId, flow: 'visitor_first', state: 'visitor_ringing', workerId: this.deps.workerId,
      visitorChannelId: ids.visitor, calleeChannelId: ids.callee, bridgeId: ids.bridge,
      calleeKind: callee.kind, calleeEndpoint: callee.endpoint, ...step,
    });
    if (claimed === null) {
      await ceiling.giveBack();
      if (agent) await this.deps.agents!.offerEnded({ agentId: agent.id, requestId, outcome: 'canceled' });
      return 'skipped';
    }
    if (agent) this.deps.agents!.offerReady({ agentId: agent.id, requestId, attemptId, mode: 'customer_first' });
    // Only claims change attempt_count, and no other claim succeeds while this attempt runs: the claim's count is
    // the one the retry policy needs when the attempt ends, without reading the request again.
    const session = this.deps.factory.callSession({
      attemptId, parties, attemptsDone: claimed, policy: verdict.policy, callee,
      ...(plan.kind === 'customer_first' ? { agent: { first: plan.agent, whisper: plan.whisper } } : {}),
    });
    this.deps.registry.add(attemptId, session);
    this.published(requestId);
    await session.start();
    return 'dialed';
  }

  /**
   * Agent-first: the agent (already reserved) is offered the call and rung first; the visitor is dialed once the
   * agent is on the line. An agent who does not take it puts the request straight back in line for the next one.
   */
  private async startAgentFirst(parties: DialParties, attemptId: string, agent: OfferedAgent, policy: RetryPolicy, step: Step): Promise<'dialed' | 'skipped'> {
    const agents = this.deps.agents!;
    const requestId = parties.request.id;
    const ceiling = await this.ceilingFor(parties.request, agent.id);
    if (!ceiling) return 'skipped';
    const ids = callIds(attemptId);
    const claimed = await this.deps.store.claim({
      id: attemptId, requestId, flow: 'agent_first', state: 'offered', workerId: this.deps.workerId,
      visitorChannelId: ids.visitor, calleeChannelId: ids.callee, bridgeId: ids.bridge,
      calleeKind: 'agent', calleeEndpoint: agent.endpoint, ...step,
    });
    if (claimed === null) {
      await ceiling.giveBack();
      await agents.offerEnded({ agentId: agent.id, requestId, outcome: 'canceled' });
      return 'skipped';
    }
    agents.offerReady({ agentId: agent.id, requestId, attemptId, mode: 'agent_first' });
    const { session, release } = this.deps.factory.agentFirstSession({ attemptId, parties, attemptsDone: claimed, policy, agent, giveBack: ceiling.giveBack });
    this.deps.registry.add(attemptId, session, release);
    this.published(requestId);
    await session.start();
    return 'dialed';
  }

  private published(requestId: string): void {
    void this.deps.bus.publish({ type: 'request.status', requestId, status: 'dialing', at: new Date().toISOString() });
  }

  /** A request closed without a call: nothing is dialed and the owner sees why (a refusal is logged as such). */
  private async close(requestId: string, v: CloseVerdict): Promise<'skipped'> {
    if (v.refused) this.deps.log.warn({ requestId, reason: v.reason }, 'dial refused');
    await this.deps.settler.move(requestId, WAITING_STATUSES, v.to, v.reason);
    return 'skipped';
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
    await this.deps.settler.move(request.id, WAITING_STATUSES, 'failed', reason);
    return null;
  }
}
