import type { CallbackRequest } from '../requests/callback.types.ts';
import type { Department, Subscriber } from '../subscribers/subscriber.types.ts';
import type { Outcome } from './flow/call-state.ts';
import type { CalleeTarget } from './flow/dial-decision.ts';
import type { OfferOutcome } from './flow/offer-outcome.ts';

/**
 * What the calls room asks of the rest of the worker, given to the Dialer at construction (src/main/worker.ts
 * wires them). The interfaces are owned here and implemented elsewhere, so src/calls imports none of their
 * implementations: agents, the do-not-call list and call records depend on calls, never the other way round.
 */

/** The request being dialed with the two parties it belongs to. */
export interface DialParties { request: CallbackRequest; subscriber: Subscriber; department: Department | null }

/** An attempt whose final state is stored. */
export interface EndedAttempt { attemptId: string; requestId: string; outcome: Outcome }

/** Told after each attempt's final state is stored (call records, metrics). */
export interface AttemptEndListener {
  attemptEnded(a: EndedAttempt): Promise<void> | void;
}

/** Where the visitor's opt-out key goes: the number is not to be called again (the do-not-call list). */
export interface OptOutSink {
  optOut(phoneE164: string, subscriberId: string): Promise<void>;
}

/** Who answers on the subscriber's side when no agent does; absent: the department's phone, else the subscriber's. */
export interface CalleeDirectory {
  resolve(p: DialParties): Promise<CalleeTarget | null>;
}

/** An agent reserved for a call: whom to ring and how. */
export interface OfferedAgent { id: string; name: string; endpoint: string; autoAnswer: boolean }

/** What the dialer does with a request, as the agent side decides it. */
export type AgentPlan =
  | { kind: 'not_agents' }
  /** Waited too long and the subscriber chose the phone as fallback: the normal phone flow. */
  | { kind: 'fallback_phone' }
  /** Nobody free: the request stays in line (a later job tries again) or was rescheduled. Nothing to dial now. */
  | { kind: 'wait' }
  | { kind: 'agent_first'; agent: OfferedAgent }
  | { kind: 'customer_first'; agent: OfferedAgent; whisper: string[] };

/** What an agent's console is told about the call it holds. */
export interface AgentCallNews {
  type: 'call'; requestId: string; phase: 'ringing_agent' | 'ringing_visitor' | 'connected' | 'ended'; outcome?: string; at: string;
}

/**
 * Call-center agents (implemented by src/agents/agent-call.service.ts): reserves agents for requests, keeps
 * requests in line while nobody is free, releases agents when calls end, and tells their consoles.
 */
export interface AgentDesk {
  plan(r: DialParties & { attemptId: string }): Promise<AgentPlan>;
  /** The attempt for the reserved agent is claimed: its console may show the offer. */
  offerReady(o: { agentId: string; requestId: string; attemptId: string; mode: 'agent_first' | 'customer_first' }): void;
  /** Customer-first: the next agent for a visitor already on hold (null when nobody is free now). */
  nextAgent(r: DialParties & { attemptId: string }): Promise<OfferedAgent | null>;
  /** Agent-first: the agent did not take the call before the visitor was dialed; the request is back in line. */
  backInLine(requestId: string, reason: string): Promise<void>;
  /** Ends the agent's reservation for the request. */
  offerEnded(a: { agentId: string; requestId: string; outcome: OfferOutcome }): Promise<void>;
  /** A transfer target answered: it holds the call from now on; false when it could not take it over. */
  handOver(h: { fromAgentId: string; toAgentId: string; requestId: string; attemptId: string }): Promise<boolean>;
  /** The agent's mute / hold as they stand now. */
  controls(agentId: string, requestId: string, attemptId: string, c: { muted: boolean; held: boolean }): Promise<void>;
  /** A transfer target that did not take the call is free again. */
  transferTargetFree(agentId: string, attemptId: string): Promise<void>;
  tell(agentId: string, e: AgentCallNews): Promise<void>;
}
