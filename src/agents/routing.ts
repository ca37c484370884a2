/**
 * Routing decisions for call-center agents, pure (no I/O): who may be offered a request, who goes first,
 * and how a subscriber wants agent calls handled. The repository locks the candidates and applies the pick.
 */

export type AgentStatus = 'available' | 'away' | 'wrap_up';

export interface RoutableAgent {
  id: string;
  status: AgentStatus;
  wrapUpUntil: Date | null;
  /** Last AMI device state of the agent's endpoint (UNKNOWN until AMI has said anything). */
  deviceState: string;
  idleSince: Date;
  active: boolean;
  reservedRequest: string | null;
  /** Departments of the request's subscriber this agent is limited to; empty = all of them. */
  departmentIds: string[];
}

/**
 * Asterisk device states in which a phone must not be offered a call: unregistered/unqualified (UNAVAILABLE,
 * INVALID) or already busy with something (INUSE, BUSY, RINGING, RINGINUSE, ONHOLD).
 */
const NOT_OFFERABLE = new Set(['UNAVAILABLE', 'INVALID', 'INUSE', 'BUSY', 'RINGING', 'RINGINUSE', 'ONHOLD']);

export function isReachable(deviceState: string): boolean {
  return !NOT_OFFERABLE.has(deviceState.toUpperCase());
}

/** Wrap-up ends by itself when its time is over; the stored status is only updated lazily. */
export function effectiveStatus(a: Pick<RoutableAgent, 'status' | 'wrapUpUntil'>, now: Date): AgentStatus {
  if (a.status === 'wrap_up' && a.wrapUpUntil && a.wrapUpUntil.getTime() <= now.getTime()) return 'available';
  return a.status;
}

export interface RouteContext {
  departmentId: string | null;
  /** Agents who already declined or missed this request. */
  excluded: ReadonlySet<string>;
  now: Date;
}

function isEligible(a: RoutableAgent, ctx: RouteContext): boolean {
  if (!a.active || a.reservedRequest !== null) return false;
  if (effectiveStatus(a, ctx.now) !== 'available') return false;
  if (!isReachable(a.deviceState)) return false;
  if (ctx.excluded.has(a.id)) return false;
  if (a.departmentIds.length > 0 && (ctx.departmentId === null || !a.departmentIds.includes(ctx.departmentId))) return false;
  return true;
}

/** The longest-idle eligible agent (ties broken by id, so every worker picks the same one). */
export function pickAgent(candidates: readonly RoutableAgent[], ctx: RouteContext): RoutableAgent | null {
  let best: RoutableAgent | null = null;
  for (const a of candidates) {
    if (!isEligible(a, ctx)) continue;
    if (!best || a.idleSince.getTime() < best.idleSince.getTime() || (a.idleSince.getTime() === best.idleSince.getTime() && a.id < best.id)) best = a;
  }
  return best;
}

/** First come, first served: a request may take an agent only when no older request of the subscriber waits. */
export function isFirstInLine(waiting: readonly { requestId: string; since: Date }[], requestId: string, mySince: Date): boolean {
  return !waiting.some((w) => w.requestId !== requestId && w.since.getTime() < mySince.getTime());
}

export type AgentMode = 'agent_first' | 'customer_first';

export interface AgentRouting {
  /** Whether this request goes to agents at all. */
  byAgents: boolean;
  mode: AgentMode;
  /** Longest a request waits for a free agent before the fallback. */
  waitSec: number;
  fallback: 'phone' | 'reschedule';
}

const DEFAULT_AGENT_ROUTING = { mode: 'agent_first', waitSec: 300, fallback: 'reschedule' } as const;

/** subscribers.settings.agents = {mode, waitSec, fallback}; answered by agents per department or subscriber-wide (settings.answeredBy). */
export function agentRoutingFrom(settings: Record<string, unknown>, department: { answeredBy: 'phone' | 'agents' } | null): AgentRouting {
  const o = (settings.agents && typeof settings.agents === 'object' ? settings.agents : {}) as Record<string, unknown>;
  return {
    byAgents: department?.answeredBy === 'agents' || settings.answeredBy === 'agents',
    mode: o.mode === 'customer_first' ? 'customer_first' : DEFAULT_AGENT_ROUTING.mode,
    waitSec: typeof o.waitSec === 'number' && o.waitSec >= 0 ? Math.min(o.waitSec, 24 * 3600) : DEFAULT_AGENT_ROUTING.waitSec,
    fallback: o.fallback === 'phone' ? 'phone' : DEFAULT_AGENT_ROUTING.fallback,
  };
}

/** Seconds of wrap-up after a call: the agent's own setting, else the global one. */
export function wrapUpSec(agentSetting: number | null, globalSec: number): number {
  return agentSetting ?? globalSec;
}
