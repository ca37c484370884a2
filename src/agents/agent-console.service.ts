import type { Pool } from '../platform/db/pool.ts';
import { findRequest, findRequestForSubscribers, listEarlierRequestsFromNumber, listOpenRequestsForSubscribers, type AgentRequestRow } from '../requests/callback.repository.ts';
import { findAttempt } from '../calls/attempt.repository.ts';
import { assignedSubscriberIds, findAgent, findDisposition, lastConnectedRequest, listOffers, settleWrapUp, transferTargetOf, workingSubscriberIds } from './agent.repository.ts';
import { transferTargets, type TransferTarget } from './transfer-targets.ts';
import { effectiveStatus } from './routing.ts';
import { consolePhase, type ConsolePhase } from './console-state.ts';
import type { Agent, Disposition } from './agent.types.ts';

export interface ConsoleOffer {
  requestId: string;
  attemptId: string | null;
  mode: string;
  /** The attempt's state: offered, agent_ringing, visitor_ringing, connected (agent-first), callee_ringing, ... */
  callState: string | null;
  /** When the visitor was put through (the console's running timer), null before. */
  connectedAt: string | null;
  /** Mute (the agent's own leg) and hold (music to the visitor) as the agent set them. */
  muted: boolean;
  held: boolean;
  /** The agent being rung for a transfer of this call, if any. */
  transferTo: string | null;
  request: AgentRequestRow;
  earlier: AgentRequestRow[];
}

export interface ConsoleSnapshot {
  /** The server's clock when this was read: the console counts timers from it, not from the browser's clock. */
  serverNow: string;
  /** The one state the console shows (console-state.ts). */
  phase: ConsolePhase;
  agent: { id: string; name: string; endpoint: string; status: string; wrapUpUntil: string | null; deviceState: string };
  offer: ConsoleOffer | null;
  /** The last call this agent talked on, for disposition and notes after it ended. */
  lastCall: { request: AgentRequestRow; disposition: { disposition: Disposition; notes: string } | null } | null;
  queue: AgentRequestRow[];
  /** Where the call in progress can be transferred now (agents of the subscriber available, departments' verified phones). */
  transferTargets: TransferTarget[];
}

/** Everything the console shows, read from PostgreSQL (events only say "something changed"). */
export async function consoleSnapshot(pool: Pool, agentId: string): Promise<ConsoleSnapshot | null> {
  await settleWrapUp(pool, agentId);
  const agent = await findAgent(pool, agentId);
  if (!agent) return null;
  const subscriberIds = await assignedSubscriberIds(pool, agentId);
  const offer = agent.reservedRequest ? await offerOf(pool, agent, subscriberIds) : null;
  const lastId = await lastConnectedRequest(pool, agentId);
  const lastRequest = lastId && lastId !== agent.reservedRequest ? await findRequestForSubscribers(pool, lastId, subscriberIds) : null;
  const now = new Date();
  const status = effectiveStatus(agent, now);
  // The queue is the work waiting: a suspended subscriber's is closed to its agents (the call in hand and the last
  // one stay shown, to finish them).
  const queue = await listOpenRequestsForSubscribers(pool, await workingSubscriberIds(pool, agentId), 50);
  return {
    serverNow: now.toISOString(),
    phase: consolePhase(agent, offer?.callState ?? null, now),
    agent: {
      id: agent.id, name: agent.name, endpoint: agent.endpoint, status,
      wrapUpUntil: status === 'wrap_up' ? agent.wrapUpUntil?.toISOString() ?? null : null, deviceState: agent.deviceState,
    },
    offer,
    lastCall: lastRequest ? { request: lastRequest, disposition: await findDisposition(pool, lastRequest.id) } : null,
    // The call in hand is shown above, not again as a line of the queue.
    queue: queue.filter((q) => q.id !== agent.reservedRequest),
    transferTargets: offer && offer.mode === 'agent_first' && (offer.callState === 'connected' || offer.callState === 'transferring')
      ? await transferTargetsFor(pool, offer.requestId, agent.id) : [],
  };
}

async function transferTargetsFor(pool: Pool, requestId: string, agentId: string): Promise<TransferTarget[]> {
  const request = await findRequest(pool, requestId);
  return request ? transferTargets(pool, request.subscriberId, agentId) : [];
}

async function offerOf(pool: Pool, agent: Agent, subscriberIds: string[]): Promise<ConsoleOffer | null> {
  const request = await findRequestForSubscribers(pool, agent.reservedRequest!, subscriberIds);
  if (!request) return null;
  const attempt = agent.reservedAttempt ? await findAttempt(pool, agent.reservedAttempt) : null;
  // Reserved, but its attempt not stored yet (the worker claims the request a moment later): not an offer yet;
  // the console is told when it is (AgentCallService.offerReady).
  if (agent.reservedAttempt && !attempt) return null;
  const offers = await listOffers(pool, request.id);
  const mine = offers.filter((o) => o.agentId === agent.id).pop();
  return {
    requestId: request.id, attemptId: agent.reservedAttempt, mode: mine?.mode ?? 'agent_first', callState: attempt?.state ?? null,
    connectedAt: attempt?.state === 'connected' || attempt?.state === 'transferring' ? (attempt.answeredAt ?? null)?.toISOString() ?? null : null,
    muted: agent.callMuted, held: agent.callHeld,
    transferTo: attempt?.state === 'transferring' ? await transferTargetOf(pool, attempt.id) : null,
    // a web call has no number to look earlier requests up by
    request, earlier: request.phoneE164 ? await listEarlierRequestsFromNumber(pool, request.phoneE164, subscriberIds, request.id, 10) : [],
  };
}
