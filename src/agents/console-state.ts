import { effectiveStatus, type AgentStatus } from './routing.ts';

/**
 * The one state an agent's console shows, decided from the agent row and the state of the call it holds
 * (pure). A reserved agent is on that call whatever its stored status says; an agent without a call is its
 * status, with a wrap-up whose end has passed read as available.
 */
export type ConsolePhase = 'away' | 'available' | 'wrap_up' | 'offered' | 'ringing' | 'calling_visitor' | 'connecting' | 'connected';

/** Attempt states (agent-first and customer-first) -> what the agent is living through. */
const BY_CALL_STATE: Record<string, ConsolePhase> = {
  offered: 'offered',
  agent_ringing: 'ringing',
  callee_ringing: 'ringing',
  visitor_ringing: 'calling_visitor',
  callee_whisper: 'connecting',
  connected: 'connected',
  // The agent is still on the call while the visitor holds for the transfer target.
  transferring: 'connected',
};

export function consolePhase(
  agent: { status: AgentStatus; wrapUpUntil: Date | null; reservedRequest: string | null },
  callState: string | null,
  now: Date,
): ConsolePhase {
  if (agent.reservedRequest) {
    // Reserved, the attempt not stored yet or in a state the agent has no part in yet: an offer on its way.
    return (callState && BY_CALL_STATE[callState]) || 'offered';
  }
  return effectiveStatus(agent, now);
}
