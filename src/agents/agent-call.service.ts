import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../platform/redis-keys.ts';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Config } from '../platform/config.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { EventBus } from '../platform/event-bus.ts';
import type { CallbackRequest } from '../requests/callback.types.ts';
import { transitionRequest } from '../requests/callback.repository.ts';
import { WAITING_STATUSES } from '../requests/request-lifecycle.ts';
import type { Department, Subscriber } from '../subscribers/subscriber.types.ts';
import type { AgentDesk, AgentPlan } from '../calls/ports.ts';
import { agentRoutingFrom } from './routing.ts';
import {
  agentNode, assignedSubscriberIds, handOverCall, listWaiting, releaseAgent, releaseTransferTarget, reserveAgent, setCallControls, stopWaiting, waitForAgent,
} from './agent.repository.ts';
import type { AgentChannels } from './agent-channels.ts';
import type { Agent, AgentEvent, OfferOutcome } from './agent.types.ts';

export interface AgentCallDeps {
  pool: Pool;
  redis: Redis;
  queue: CallbackQueue;
  bus: EventBus;
  channels: AgentChannels;
  log: Logger;
  config: Config;
  workerId: string;
}

/** The process's shared parts (the container's) that the console routes and the worker's agent side are built from. */
export type AgentSideParts = Omit<AgentCallDeps, 'channels' | 'workerId'>;

/**
 * The worker's agent side: reserves agents for requests (routing.ts decides, agent.repository.ts claims
 * atomically), keeps requests in line while nobody is free, releases agents when calls end, and tells the
 * consoles. The call flows themselves are in src/calls (agent-first-session.ts, call-session.ts).
 */
export class AgentCallService implements AgentDesk {
  constructor(private readonly deps: AgentCallDeps) {}

  async plan(r: { request: CallbackRequest; subscriber: Subscriber; department: Department | null; attemptId: string }): Promise<AgentPlan> {
    const { pool, config, log } = this.deps;
    const routing = agentRoutingFrom(r.subscriber.settings, r.department);
    if (!routing.byAgents) return { kind: 'not_agents' };
    const res = await reserveAgent(pool, {
      requestId: r.request.id, attemptId: r.attemptId, subscriberId: r.subscriber.id, departmentId: r.department?.id ?? null,
      workerId: this.deps.workerId, mode: routing.mode, node: config.ASTERISK_NODE,
    });
    if (res.agent) {
      // The console hears of the offer from offerReady, once the attempt is stored: told now, it could ask for
      // the offer before its attempt exists and show it without a call state.
      log.info({ requestId: r.request.id, agentId: res.agent.id, mode: routing.mode }, 'agent reserved');
      if (routing.mode === 'agent_first') return { kind: 'agent_first', agent: res.agent };
      const custom = (r.subscriber.settings.agents as { whisper?: unknown } | undefined)?.whisper;
      const whisper = Array.isArray(custom) && custom.every((m) => typeof m === 'string') && custom.length > 0
        ? custom as string[]
        : config.AGENT_WHISPER_PROMPT.replaceAll('{slug}', r.subscriber.slug).split(',');
      return { kind: 'customer_first', agent: res.agent, whisper };
    }
    const since = await waitForAgent(pool, r.request.id, r.subscriber.id);
    // Another pass reserved an agent for this request meanwhile: the call is that pass's.
    if (!since) return { kind: 'wait' };
    if (Date.now() - since.getTime() >= routing.waitSec * 1000) {
      await stopWaiting(pool, r.request.id);
      const phone = r.department?.phoneE164 ?? r.subscriber.phoneE164;
      if (routing.fallback === 'phone' && phone) {
        log.info({ requestId: r.request.id }, 'no agent in time; falling back to the subscriber phone');
        return { kind: 'fallback_phone' };
      }
      const at = new Date(Date.now() + config.AGENT_RESCHEDULE_SEC * 1000);
      const moved = await transitionRequest(pool, r.request.id, WAITING_STATUSES, 'scheduled', 'no agent available; rescheduled', { nextAttemptAt: at });
      if (moved.ok) {
        await this.addJob(r.request.id, 'resched', at.getTime() - Date.now());
        void this.deps.bus.publish({ type: 'request.status', requestId: r.request.id, status: 'scheduled', reason: 'no agent available', at: new Date().toISOString() });
      }
      return { kind: 'wait' };
    }
    await this.pollLater(r.request.id);
    return { kind: 'wait' };
  }

  /** Tells the reserved agent's console about its offer; called once the attempt has been claimed. */
  offerReady(o: { agentId: string; requestId: string; attemptId: string; mode: 'agent_first' | 'customer_first' }): void {
    void this.tell(o.agentId, { type: 'offer', requestId: o.requestId, attemptId: o.attemptId, mode: o.mode, at: new Date().toISOString() });
  }

  /** Customer-first: the next agent for a visitor already on hold (null when nobody is free now). */
  async nextAgent(r: { request: CallbackRequest; subscriber: Subscriber; department: Department | null; attemptId: string }): Promise<Agent | null> {
    const res = await reserveAgent(this.deps.pool, {
      requestId: r.request.id, attemptId: r.attemptId, subscriberId: r.subscriber.id, departmentId: r.department?.id ?? null,
      workerId: this.deps.workerId, mode: 'customer_first', node: this.deps.config.ASTERISK_NODE,
    });
    if (!res.agent) return null;
    void this.tell(res.agent.id, { type: 'offer', requestId: r.request.id, attemptId: r.attemptId, mode: 'customer_first', at: new Date().toISOString() });
    return res.agent;
  }

  /** Agent-first: the agent did not take the call; back in line at once, and that agent is skipped for it. */
  async backInLine(requestId: string, reason: string): Promise<void> {
    const moved = await transitionRequest(this.deps.pool, requestId, ['dialing'], 'queued', reason);
    if (moved.ok) await this.addJob(requestId, 'next', 0);
  }

  /** Ends the agent's reservation, tells the console, and lets waiting requests try again. */
  async offerEnded(a: { agentId: string; requestId: string; outcome: OfferOutcome }): Promise<void> {
    const { pool, config } = this.deps;
    await releaseAgent(pool, { agentId: a.agentId, requestId: a.requestId, outcome: a.outcome, globalWrapUpSec: config.AGENT_WRAP_UP_SEC });
    void this.tell(a.agentId, { type: 'call', requestId: a.requestId, phase: 'ended', outcome: a.outcome, at: new Date().toISOString() });
    await this.wakeWaiting(await assignedSubscriberIds(pool, a.agentId), await agentNode(pool, a.agentId));
  }

  /** A transfer target answered: the first agent goes to wrap-up, the target holds the request (agent.repository.ts handOverCall). */
  handOver(h: { fromAgentId: string; toAgentId: string; requestId: string; attemptId: string }): Promise<boolean> {
    return handOverCall(this.deps.pool, { ...h, globalWrapUpSec: this.deps.config.AGENT_WRAP_UP_SEC });
  }

  /** Mute / hold of the agent's call as they stand now (the console and the visitor's status read them). */
  async controls(agentId: string, requestId: string, attemptId: string, c: { muted: boolean; held: boolean }): Promise<void> {
    await setCallControls(this.deps.pool, agentId, attemptId, c);
    void this.tell(agentId, { type: 'controls', requestId, ...c, at: new Date().toISOString() });
  }

  /** A transfer target that did not take the call is free again (and waiting requests may go to it). */
  async transferTargetFree(agentId: string, attemptId: string): Promise<void> {
    await releaseTransferTarget(this.deps.pool, agentId, attemptId);
    void this.tell(agentId, { type: 'queue', at: new Date().toISOString() });
    await this.wakeWaiting(await assignedSubscriberIds(this.deps.pool, agentId), await agentNode(this.deps.pool, agentId));
  }

  /**
   * Requests in line for these subscribers get a try now (they keep their order: reserveAgent checks it); with
   * `node` (the freed agent's phone is on it), on that node's queue, whose workers can ring that agent.
   */
  async wakeWaiting(subscriberIds: string[], node: string | null = null): Promise<void> {
    if (subscriberIds.length === 0) return;
    const waiting = await listWaiting(this.deps.pool, subscriberIds);
    for (const w of waiting.slice(0, 20)) await this.addJob(w.requestId, 'wake', 0, node);
  }

  tell(agentId: string, e: AgentEvent): Promise<void> { return this.deps.channels.publishToAgent(agentId, e); }

  /** One poll per request and interval, however many wake-ups happened (a Redis NX key). */
  private async pollLater(requestId: string): Promise<void> {
    const { redis, config } = this.deps;
    const key = redisKeys(config.REDIS_PREFIX).agentWait(requestId);
    const ok = await redis.set(key, '1', 'PX', config.AGENT_WAIT_POLL_MS, 'NX').catch(() => 'OK');
    if (ok) await this.addJob(requestId, 'wait', config.AGENT_WAIT_POLL_MS);
  }

  private async addJob(requestId: string, why: string, delayMs: number, node: string | null = null): Promise<void> {
    // Unique job ids: the queue's own ids (request:attempt) would make a second try of the same attempt a no-op.
    await (node ? this.deps.queue.forNode(node) : this.deps.queue.queue).add({ requestId }, { jobId: `${requestId}:agent-${why}:${Date.now()}:${randomBytes(3).toString('hex')}`, delay: Math.max(0, delayMs) })
      .catch((err) => this.deps.log.warn({ requestId, err: (err as Error).message }, 'could not queue an agent retry'));
  }
}
