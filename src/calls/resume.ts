import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { TelephonyPort } from '../telephony/telephony-port.ts';
import { IN_CALL_STATUSES } from '../requests/request-lifecycle.ts';
import { findAttemptCallee, type AttemptRow } from './attempt.repository.ts';
import { partiesOf, type DialStore, type TransitionWriter } from './session/dial-store.ts';
import { callIds } from './session/call-ids.ts';
import type { CallSession } from './session/call-session.ts';
import type { CallState } from './flow/call-state.ts';
import type { CalleeTarget } from './flow/dial-decision.ts';
import { policyFrom } from './flow/retry-policy.ts';
import type { AgentDesk } from './ports.ts';
import type { SessionRegistry } from './session-registry.ts';
import type { SessionFactory } from './session-factory.ts';
import type { Settler } from './settle.ts';

export interface ResumeDeps {
  pool: Pool;
  port: TelephonyPort;
  log: Logger;
  store: DialStore;
  record: TransitionWriter;
  registry: SessionRegistry;
  factory: SessionFactory;
  settler: Settler;
  agents?: AgentDesk;
}

/** The stored callee of an attempt (re-adopting must not pick a new agent for a call already under way). */
async function storedCallee(pool: Pool, attemptId: string): Promise<CalleeTarget> {
  const c = await findAttemptCallee(pool, attemptId);
  return { kind: c?.kind === 'agent' ? 'agent' : 'phone', endpoint: c?.endpoint ?? '', label: 'recovered' };
}

/**
 * Attempts in flight with no live session here (left by a previous process of this worker, handed to recovery,
 * or taken over from a worker that is gone): a customer-first call is rebuilt in its stored state with the legs
 * Asterisk still has; an agent-first call is ended and its request put back in line.
 */
export class Resumer {
  constructor(private readonly deps: ResumeDeps) {}

  /**
   * The rebuilt session, or null: the attempt has a session already or is being rebuilt by another caller, it was
   * agent-first (ended here), or its request or subscriber is gone.
   */
  async resume(a: AttemptRow, legs: { visitorUp: boolean; calleeUp: boolean }): Promise<CallSession | null> {
    if (!this.deps.registry.startResume(a.id)) return null;
    try {
      return await this.resumeOnce(a, legs);
    } finally {
      this.deps.registry.resumed(a.id);
    }
  }

  private async resumeOnce(a: AttemptRow, legs: { visitorUp: boolean; calleeUp: boolean }): Promise<CallSession | null> {
    const { store, log } = this.deps;
    if (a.flow === 'agent_first') {
      await this.endOrphanedAgentFirst(a);
      return null;
    }
    if (a.flow === 'web_inbound') {
      await this.endOrphanedWebCall(a);
      return null;
    }
    const callee = await storedCallee(this.deps.pool, a.id);
    const found = await store.load(a.requestId);
    if (!found) return null;
    const { request } = found;
    const { subscriber, department } = partiesOf(found);
    if (!subscriber) return null;
    const session = this.deps.factory.callSession({
      attemptId: a.id, parties: { request, subscriber, department }, attemptsDone: request.attemptCount, policy: policyFrom(subscriber.settings), callee,
    });
    // A replacement callee's leg has a channel id of its own: the attempt stores the one rung last.
    if (a.calleeChannelId) session.useCalleeChannel(a.calleeChannelId);
    session.adopt(a.state as CallState, legs);
    this.deps.registry.add(a.id, session);
    log.info({ attemptId: a.id, requestId: request.id, state: a.state, ...legs }, 'attempt re-adopted after restart');
    return session;
  }

  /**
   * A web call with no session (its worker restarted or is gone): the browser called us and cannot be called
   * back, so the call is not rebuilt: both legs are hung up, the attempt ends `failed` (`answered` if it was
   * connected) and the request ends with it.
   */
  private async endOrphanedWebCall(a: AttemptRow): Promise<void> {
    const { port, log } = this.deps;
    for (const ch of [a.visitorChannelId, a.calleeChannelId]) if (ch) await port.hangup(ch).catch(() => {});
    if (a.bridgeId) await port.destroyBridge(a.bridgeId).catch(() => {});
    const connected = a.state === 'connected';
    const causeTxt = 'web call lost with its worker';
    await this.deps.record({ attemptId: a.id, from: a.state, event: 'lost', to: 'ended', outcome: { outcome: connected ? 'answered' : 'failed', cause: null, causeTxt } });
    await this.deps.settler.move(a.requestId, IN_CALL_STATUSES, connected ? 'completed' : 'failed', causeTxt);
    log.warn({ attemptId: a.id, state: a.state }, 'orphaned web call ended');
  }

  /**
   * An agent-first attempt with no session: its legs are hung up and it is recorded as canceled; the request goes
   * back in line (the agent's reservation was released when this worker started), or, once the visitor was
   * reached or being called, the retry policy decides as for any call that broke off.
   */
  private async endOrphanedAgentFirst(a: AttemptRow): Promise<void> {
    const { port, log } = this.deps;
    const ids = callIds(a.id);
    for (const ch of [ids.visitor, a.calleeChannelId ?? ids.callee]) await port.hangup(ch).catch(() => {});
    await port.destroyBridge(ids.bridge).catch(() => {});
    await this.deps.record({ attemptId: a.id, from: a.state, event: 'lost', to: 'ended', outcome: { outcome: 'canceled', cause: null, causeTxt: 'worker restarted during an agent-first call' } });
    if (a.state === 'connected' || a.state === 'transferring' || a.state === 'visitor_ringing') {
      await this.deps.settler.move(a.requestId, IN_CALL_STATUSES, 'failed', 'call lost when the worker restarted');
    } else {
      await this.deps.agents?.backInLine(a.requestId, 'worker restarted before the agent answered');
    }
    log.warn({ attemptId: a.id, state: a.state }, 'orphaned agent-first attempt ended');
  }
}
