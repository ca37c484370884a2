import type { AgentStatus } from './routing.ts';

export interface Agent {
  id: string;
  name: string;
  login: string;
  endpoint: string;
  skills: string[];
  languages: string[];
  status: AgentStatus;
  wrapUpSec: number | null;
  wrapUpUntil: Date | null;
  autoAnswer: boolean;
  deviceState: string;
  reservedRequest: string | null;
  reservedAttempt: string | null;
  reservedBy: string | null;
  idleSince: Date;
  active: boolean;
  /** The agent muted their own leg / put the visitor on hold, on the call in hand. */
  callMuted: boolean;
  callHeld: boolean;
}

export type { OfferOutcome } from '../calls/flow/offer-outcome.ts';

export const DISPOSITIONS = ['resolved', 'follow_up', 'sale', 'not_interested', 'wrong_number', 'other'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** What the console shows (and the SSE stream announces) to an agent. */
export type AgentEvent =
  | { type: 'offer'; requestId: string; attemptId: string; mode: 'agent_first' | 'customer_first'; at: string }
  | { type: 'call'; requestId: string; phase: 'ringing_agent' | 'ringing_visitor' | 'connected' | 'ended'; outcome?: string; at: string }
  | { type: 'status'; status: AgentStatus; at: string }
  | { type: 'controls'; requestId: string; muted: boolean; held: boolean; at: string }
  | { type: 'queue'; at: string };

/** Commands from the console (web process) to the worker that owns the agent's call. */
export type AgentCommand =
  | { type: 'accept'; agentId: string; attemptId: string }
  | { type: 'decline'; agentId: string; attemptId: string }
  | { type: 'hangup'; agentId: string; attemptId: string }
  | { type: 'mute' | 'unmute' | 'hold' | 'unhold'; agentId: string; attemptId: string }
  /**
   * Hand the call to another agent of the same subscriber (checked available when sent and reserved by the worker)
   * or to one of its departments' verified phone (checked again by the worker right before the dial).
   */
  | { type: 'transfer'; agentId: string; attemptId: string; target: { kind: 'agent' | 'department'; id: string } };

/** Console actions on a connected call (agent-first). */
export const CALL_CONTROLS = ['mute', 'unmute', 'hold', 'unhold'] as const;
