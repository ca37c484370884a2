import type { CallEvent, Leg, Outcome } from './call-state.ts';
import { outcomeForUnansweredCause } from './call-state.ts';
import { offerOutcomeForCause, type OfferOutcome } from './offer-outcome.ts';

/**
 * The agent-first call as an explicit state machine (pure: no I/O), the counterpart of call-state.ts.
 * The agent leg uses the callee channel id (bk-c-), the visitor leg the visitor id (bk-v-).
 *
 *   offered --accepted--> agent_ringing --agent answered--> visitor_ringing --visitor answered--> connected --hangup--> ended
 *      |                      |                                 |
 *      +--declined/timeout--> ended (callee_unanswered)         +--visitor busy/no answer--> ended (agent released)
 *                             +--agent busy/no answer--> ended (callee_unanswered: next agent)
 *
 *   connected --agent.transfer--> transferring --target answered--> connected (the target in the bridge, the first agent's leg hung up)
 *                                      +--target busy/no answer/refused/timed out--> connected (the visitor back with the first agent)
 */
export type AgentFirstState = 'offered' | 'agent_ringing' | 'visitor_ringing' | 'connected' | 'transferring' | 'ended';

/**
 * The leg whose origination a transition into each state starts (call-state.ts's CALL_LEG_STARTS): the agent's leg is
 * the callee leg, dialed on accepting the offer; the visitor's once the agent answered. `transferring` starts none:
 * the callee leg's time counts from the first agent's ring, whoever holds the call at the end.
 */
export const AGENT_FIRST_LEG_STARTS: { readonly [S in AgentFirstState]?: Leg } = { agent_ringing: 'callee', visitor_ringing: 'visitor' };

export type AgentFirstEvent =
  | CallEvent
  | { type: 'agent.accepted' }
  | { type: 'agent.declined' }
  | { type: 'offer.timeout' }
  /** The check right before the visitor leg (destination allowed, caller id verified) said no: nothing was dialed. */
  | { type: 'visitor.refused'; reason: string }
  /** The agent mutes / unmutes their own leg (the visitor stops hearing them), on a connected call. */
  | { type: 'agent.mute'; on: boolean }
  /** The agent puts the visitor on hold (music to the visitor, the agent muted towards them) or takes them back. */
  | { type: 'agent.hold'; on: boolean }
  /**
   * The agent transfers the visitor to another agent (already reserved for this call) or a department's phone
   * (`agentId` null): the visitor on hold, the target rung.
   */
  | { type: 'agent.transfer'; target: { agentId: string | null; endpoint: string; name: string } }
  /** The transfer target's leg (`leg`, its channel id) answered / ended / was refused / was not answered in time. */
  | { type: 'transfer.answered'; leg: string }
  | { type: 'transfer.ended'; leg: string; cause: number | null; causeTxt: string };

export type AgentFirstEffect =
  | { kind: 'start_offer_timer' }
  | { kind: 'originate_agent' }
  | { kind: 'create_bridge_with_agent' }
  | { kind: 'play_progress' }
  | { kind: 'stop_progress' }
  | { kind: 'originate_visitor' }
  | { kind: 'answer_visitor' }
  | { kind: 'connect_visitor' }
  | { kind: 'hangup_visitor' }
  | { kind: 'hangup_agent' }
  | { kind: 'destroy_bridge' }
  | { kind: 'mute_agent' }
  | { kind: 'unmute_agent' }
  | { kind: 'hold_visitor' }
  | { kind: 'unhold_visitor' }
  | { kind: 'originate_transfer' }
  /** The target joins the bridge and becomes the call's agent leg; the first agent's leg is hung up. */
  | { kind: 'take_over' }
  | { kind: 'hangup_transfer' };

export interface AgentFirstContext {
  agentUp: boolean; visitorUp: boolean;
  /** Asterisk confirmed the visitor in the agent's bridge (after `connect_visitor`): only then is a call `answered`. */
  bridged?: boolean;
  /** A transfer target's leg is being rung. */
  transferUp?: boolean;
}

export interface AgentFirstTransition {
  to: AgentFirstState;
  effects: AgentFirstEffect[];
  outcome?: Outcome;
  /** How the offer to the agent ended (agent_offers.outcome), set on the transition that decides it. */
  offer?: OfferOutcome;
  visitorAnswered?: boolean;
  calleeAnswered?: boolean;
  /** The transfer target now holds the call (the attempt names it from this transition on). */
  tookOver?: boolean;
  /** A transfer ended without the target taking the call. */
  transferFailed?: boolean;
}

export class IllegalAgentFirstTransition extends Error {
  constructor(readonly from: AgentFirstState, readonly event: AgentFirstEvent['type']) { super(`illegal agent-first transition: ${from} -> ${event}`); }
}

function end(ctx: AgentFirstContext, outcome: Outcome, offer: AgentFirstTransition['offer']): AgentFirstTransition {
  const effects: AgentFirstEffect[] = [];
  if (ctx.visitorUp) effects.push({ kind: 'hangup_visitor' });
  if (ctx.transferUp) effects.push({ kind: 'hangup_transfer' });
  if (ctx.agentUp) effects.push({ kind: 'hangup_agent' });
  effects.push({ kind: 'destroy_bridge' });
  return { to: 'ended', effects, outcome, offer };
}

const unanswered = (causeTxt: string, cause: number | null = null): Outcome => ({ outcome: 'callee_unanswered', cause, causeTxt });

export function agentFirstTransition(state: AgentFirstState, event: AgentFirstEvent, ctx: AgentFirstContext): AgentFirstTransition {
  if (state === 'ended') throw new IllegalAgentFirstTransition(state, event.type);
  if (event.type === 'abort') {
    if ((state === 'connected' || state === 'transferring') && ctx.bridged) return end(ctx, { outcome: 'answered', cause: null, causeTxt: event.reason }, 'connected');
    // The visitor's phone was ringing, or answered but never bridged: a broken-off call the retry policy may try
    // again (worker shutdown, Asterisk failing). Never the visitor's doing.
    if (state === 'visitor_ringing' || state === 'connected') return end(ctx, { outcome: 'failed', cause: null, causeTxt: event.reason }, 'canceled');
    return end(ctx, { outcome: 'canceled', cause: null, causeTxt: event.reason }, 'canceled');
  }
  switch (state) {
    case 'offered':
      if (event.type === 'agent.accepted') return { to: 'agent_ringing', effects: [{ kind: 'originate_agent' }] };
      if (event.type === 'agent.declined') return end(ctx, unanswered('agent declined'), 'declined');
      if (event.type === 'offer.timeout') return end(ctx, unanswered('offer not taken in time'), 'no_answer');
      break;
    case 'agent_ringing':
      if (event.type === 'callee.answered') {
        return { to: 'visitor_ringing', effects: [{ kind: 'create_bridge_with_agent' }, { kind: 'play_progress' }, { kind: 'originate_visitor' }], calleeAnswered: true };
      }
      if (event.type === 'callee.ended') return end({ ...ctx, agentUp: false }, unanswered(event.causeTxt, event.cause), offerOutcomeForCause(event.cause));
      if (event.type === 'callee.originate_failed') return end({ ...ctx, agentUp: false }, unanswered(`agent originate refused (${event.status})`), 'failed');
      if (event.type === 'agent.declined') return end(ctx, unanswered('agent declined'), 'declined');
      if (event.type === 'agent.accepted' || event.type === 'offer.timeout') return { to: state, effects: [] };
      break;
    case 'visitor_ringing':
      if (event.type === 'visitor.answered') {
        return { to: 'connected', effects: [{ kind: 'answer_visitor' }, { kind: 'stop_progress' }, { kind: 'connect_visitor' }], visitorAnswered: true, offer: 'connected' };
      }
      if (event.type === 'visitor.ended') {
        return end({ ...ctx, visitorUp: false }, { outcome: outcomeForUnansweredCause(event.cause), cause: event.cause, causeTxt: event.causeTxt }, 'visitor_unanswered');
      }
      if (event.type === 'originate.failed') {
        return end({ ...ctx, visitorUp: false }, { outcome: 'failed', cause: null, causeTxt: `originate refused (${event.status})` }, 'visitor_unanswered');
      }
      if (event.type === 'visitor.refused') return end({ ...ctx, visitorUp: false }, { outcome: 'refused', cause: null, causeTxt: event.reason }, 'canceled');
      // The agent gave up before the visitor answered: the visitor is not called any further this attempt.
      if (event.type === 'callee.ended' || event.type === 'agent.declined') {
        return end({ ...ctx, agentUp: event.type === 'agent.declined' && ctx.agentUp }, unanswered('agent hung up before the visitor answered'), 'canceled');
      }
      if (event.type === 'prompt.finished' || event.type === 'visitor.dtmf' || event.type === 'agent.accepted' || event.type === 'offer.timeout') return { to: state, effects: [] };
      break;
    case 'connected':
      // Before the bridge is confirmed the two never spoke: the visitor hanging up is abandoning, the agent leaving a callee lost.
      if (event.type === 'visitor.ended') return end({ ...ctx, visitorUp: false }, { outcome: ctx.bridged ? 'answered' : 'abandoned', cause: event.cause, causeTxt: event.causeTxt }, 'connected');
      if (event.type === 'callee.ended') return end({ ...ctx, agentUp: false }, { outcome: ctx.bridged ? 'answered' : 'callee_unanswered', cause: event.cause, causeTxt: event.causeTxt }, 'connected');
      if (event.type === 'agent.declined') return end(ctx, { outcome: ctx.bridged ? 'answered' : 'callee_unanswered', cause: null, causeTxt: 'agent hung up' }, 'connected');
      // Mute and hold change what each side hears, not where the call is: the state stays connected.
      if (event.type === 'agent.mute') return { to: state, effects: [{ kind: event.on ? 'mute_agent' : 'unmute_agent' }] };
      if (event.type === 'agent.hold') return { to: state, effects: [{ kind: event.on ? 'hold_visitor' : 'unhold_visitor' }] };
      // Only a call where both are bridged can be handed on (before that the request is ignored).
      if (event.type === 'agent.transfer') return ctx.bridged ? { to: 'transferring', effects: [{ kind: 'hold_visitor' }, { kind: 'originate_transfer' }] } : { to: state, effects: [] };
      // A late word about a transfer that is over (its leg hung up): nothing to do.
      if (event.type === 'transfer.ended' || event.type === 'transfer.answered') return { to: state, effects: [] };
      if (event.type === 'prompt.finished' || event.type === 'visitor.dtmf' || event.type === 'agent.accepted' || event.type === 'offer.timeout' || event.type === 'confirm.timeout') return { to: state, effects: [] };
      break;
    case 'transferring':
      if (event.type === 'transfer.answered') {
        return { to: 'connected', effects: [{ kind: 'take_over' }, { kind: 'unhold_visitor' }], tookOver: true };
      }
      // Busy, not answered within the ring time, or refused: the visitor is taken off hold, back with the first agent.
      if (event.type === 'transfer.ended') {
        return { to: 'connected', effects: [...(ctx.transferUp ? [{ kind: 'hangup_transfer' } as const] : []), { kind: 'unhold_visitor' }], transferFailed: true };
      }
      if (event.type === 'visitor.ended') return end({ ...ctx, visitorUp: false }, { outcome: 'answered', cause: event.cause, causeTxt: event.causeTxt }, 'connected');
      if (event.type === 'callee.ended') return end({ ...ctx, agentUp: false }, { outcome: 'answered', cause: event.cause, causeTxt: event.causeTxt }, 'connected');
      if (event.type === 'agent.declined') return end(ctx, { outcome: 'answered', cause: null, causeTxt: 'agent hung up' }, 'connected');
      // While the visitor is on hold for the transfer, the agent's own controls wait.
      if (event.type === 'agent.mute' || event.type === 'agent.hold' || event.type === 'agent.transfer' || event.type === 'prompt.finished'
        || event.type === 'visitor.dtmf' || event.type === 'agent.accepted' || event.type === 'offer.timeout' || event.type === 'confirm.timeout') return { to: state, effects: [] };
      break;
  }
  throw new IllegalAgentFirstTransition(state, event.type);
}
