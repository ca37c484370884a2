import type { AttemptOutcome } from '../../requests/callback.types.ts';

/**
 * The customer-first call as an explicit state machine (pure: no I/O). The session applies the returned
 * effects through the telephony port and stores every transition with its event.
 *
 *   visitor_ringing --answered--> visitor_confirming --confirm key--> callee_ringing --answered--> connected --hangup--> ended
 *        |            (straight to callee_ringing when no key is asked for)   |
 *        +--ended--> ended (busy / no_answer / rejected / failed)              +--callee ended--> ended (callee_unanswered)
 */
export type CallState = 'visitor_ringing' | 'visitor_confirming' | 'callee_ringing' | 'callee_whisper' | 'connected' | 'ended';

/** A leg of a call: the visitor's, or the callee's (the subscriber's phone, or an agent). */
export type Leg = 'visitor' | 'callee';

/**
 * The leg whose origination a transition into each state starts: the attempt's stored transitions say when each leg
 * started (attempt_transitions.leg_started), and call records and billing read that, never state names.
 * visitor_ringing is the claim's first state (the visitor is dialed right after); callee_ringing is entered when the
 * callee is dialed, and entered again (`callee.replaced`) when the next agent is rung in place of one who did not answer.
 */
export const CALL_LEG_STARTS: { readonly [S in CallState]?: Leg } = { visitor_ringing: 'visitor', callee_ringing: 'callee' };

export type CallEvent =
  | { type: 'originate.failed'; status: number }
  | { type: 'visitor.answered' }
  | { type: 'visitor.ended'; cause: number; causeTxt: string }
  | { type: 'visitor.dtmf'; digit: string }
  | { type: 'prompt.finished'; prompt: 'confirm' | 'announce' | 'whisper' }
  | { type: 'confirm.timeout' }
  /**
   * The event socket was down while the visitor was asked for the key: a key pressed then, or the prompt's end, was
   * lost for good. The session sends this only once the prompt has ended; the visitor is asked again.
   */
  | { type: 'confirm.ask_again' }
  | { type: 'callee.originate_failed'; status: number }
  /** The check right before the callee leg (its number still verified and allowed) said no: nothing was dialed. */
  | { type: 'callee.refused'; reason: string }
  | { type: 'callee.answered' }
  | { type: 'callee.ended'; cause: number; causeTxt: string }
  | { type: 'abort'; reason: string };

export type Effect =
  | { kind: 'answer_visitor' }
  | { kind: 'create_bridge_with_visitor' }
  | { kind: 'play'; prompt: 'confirm' | 'announce' }
  | { kind: 'stop_prompt'; prompt: 'confirm' | 'announce' }
  | { kind: 'start_confirm_timer' }
  | { kind: 'start_moh' }
  | { kind: 'originate_callee' }
  /** A short prompt to the answered callee (an agent) naming the subscriber, before the visitor joins. */
  | { kind: 'whisper' }
  | { kind: 'connect_callee' }
  | { kind: 'hangup_visitor' }
  | { kind: 'hangup_callee' }
  | { kind: 'destroy_bridge' }
  | { kind: 'opt_out' };

export interface CallContext {
  /** Ask the visitor to press the confirm key before ringing the callee ("a person, not a voicemail"). */
  confirm: boolean;
  confirmKey: string;
  /** Key that puts the visitor's number on the do-not-call list, announced in the greeting. */
  optOutKey: string | null;
  /** Whisper to the callee on answer (agents answering for many subscribers): callee_ringing -> callee_whisper -> connected. */
  whisper?: boolean;
  /** Which legs exist now, so that ending hangs up only what is up. */
  visitorUp: boolean;
  calleeUp: boolean;
  /**
   * Asterisk confirmed both parties in the bridge (the session sets it once `connect_callee` has been carried
   * out): only then is a call that ends `answered`. `connected` is entered (and stored) before that step runs.
   */
  bridged?: boolean;
}

export interface Outcome { outcome: AttemptOutcome; cause: number | null; causeTxt: string | null }

export interface Transition {
  to: CallState;
  effects: Effect[];
  outcome?: Outcome;
  /** Timestamps to store with this transition. */
  visitorAnswered?: boolean;
  calleeAnswered?: boolean;
}

export class IllegalTransition extends Error {
  constructor(readonly from: CallState, readonly event: CallEvent['type']) { super(`illegal transition: ${from} -> ${event}`); }
}

/** Q.850 cause of a leg that was never answered -> attempt outcome (as recorded from Asterisk 22). */
export function outcomeForUnansweredCause(cause: number): AttemptOutcome {
  switch (cause) {
    case 17: return 'busy';                 // User busy (SIP 486)
    case 18:                                // No user responding
    case 19: return 'no_answer';            // No answer from user (originate timeout, SIP 480)
    case 21: return 'rejected';             // Call rejected (SIP 603)
    default: return 'failed';               // 1 unallocated, 34/38 congestion, 0 unknown, 16 when we cancelled
  }
}

function end(ctx: CallContext, outcome: Outcome, first: Effect[] = []): Transition {
  const effects: Effect[] = [...first];
  if (ctx.visitorUp) effects.push({ kind: 'hangup_visitor' });
  if (ctx.calleeUp) effects.push({ kind: 'hangup_callee' });
  effects.push({ kind: 'destroy_bridge' });
  return { to: 'ended', effects, outcome };
}

const stay = (state: CallState): Transition => ({ to: state, effects: [] });

export function transition(state: CallState, event: CallEvent, ctx: CallContext): Transition {
  if (state === 'ended') throw new IllegalTransition(state, event.type);
  // Our side ends the call (maximum length, shutdown, Asterisk failing): never the visitor's doing. A bridged
  // call was answered; anything short of that is a failed attempt, which the retry policy may try again.
  if (event.type === 'abort') {
    const outcome: AttemptOutcome = state === 'connected' && ctx.bridged ? 'answered' : 'failed';
    return end(ctx, { outcome, cause: null, causeTxt: event.reason });
  }
  switch (state) {
    case 'visitor_ringing':
      if (event.type === 'originate.failed') return { to: 'ended', effects: [], outcome: { outcome: 'failed', cause: null, causeTxt: `originate refused (${event.status})` } };
      if (event.type === 'visitor.ended') return { to: 'ended', effects: [], outcome: { outcome: outcomeForUnansweredCause(event.cause), cause: event.cause, causeTxt: event.causeTxt } };
      if (event.type === 'visitor.answered') {
        const first: Effect[] = [{ kind: 'answer_visitor' }, { kind: 'create_bridge_with_visitor' }];
        return ctx.confirm
          ? { to: 'visitor_confirming', effects: [...first, { kind: 'play', prompt: 'confirm' }], visitorAnswered: true }
          : { to: 'callee_ringing', effects: [...first, { kind: 'play', prompt: 'announce' }, { kind: 'originate_callee' }], visitorAnswered: true };
      }
      break;
    case 'visitor_confirming':
      if (event.type === 'visitor.dtmf') {
        if (event.digit === ctx.confirmKey) return { to: 'callee_ringing', effects: [{ kind: 'stop_prompt', prompt: 'confirm' }, { kind: 'start_moh' }, { kind: 'originate_callee' }] };
        if (ctx.optOutKey && event.digit === ctx.optOutKey) return end(ctx, { outcome: 'canceled', cause: null, causeTxt: 'visitor opted out' }, [{ kind: 'opt_out' }]);
        return stay(state);
      }
      // The wait for a key starts when the prompt has been heard in full.
      if (event.type === 'prompt.finished') return { to: state, effects: event.prompt === 'confirm' ? [{ kind: 'start_confirm_timer' }] : [] };
      if (event.type === 'confirm.timeout') return end(ctx, { outcome: 'no_human', cause: null, causeTxt: 'no key pressed' });
      if (event.type === 'confirm.ask_again') return { to: state, effects: [{ kind: 'play', prompt: 'confirm' }] };
      if (event.type === 'visitor.ended') return end({ ...ctx, visitorUp: false }, { outcome: 'abandoned', cause: event.cause, causeTxt: event.causeTxt });
      break;
    case 'callee_ringing':
      if (event.type === 'callee.answered') {
        return ctx.whisper
          ? { to: 'callee_whisper', effects: [{ kind: 'whisper' }], calleeAnswered: true }
          : { to: 'connected', effects: [{ kind: 'connect_callee' }], calleeAnswered: true };
      }
      if (event.type === 'callee.ended') return end({ ...ctx, calleeUp: false }, { outcome: 'callee_unanswered', cause: event.cause, causeTxt: event.causeTxt });
      if (event.type === 'callee.originate_failed') return end({ ...ctx, calleeUp: false }, { outcome: 'callee_unanswered', cause: null, causeTxt: `callee originate refused (${event.status})` });
      if (event.type === 'callee.refused') return end({ ...ctx, calleeUp: false }, { outcome: 'refused', cause: null, causeTxt: event.reason });
      if (event.type === 'visitor.ended') return end({ ...ctx, visitorUp: false }, { outcome: 'abandoned', cause: event.cause, causeTxt: event.causeTxt });
      // After the announcement (no-confirm mode) the visitor waits with music.
      if (event.type === 'prompt.finished') return { to: state, effects: event.prompt === 'announce' ? [{ kind: 'start_moh' }] : [] };
      if (event.type === 'visitor.dtmf' || event.type === 'confirm.timeout' || event.type === 'confirm.ask_again') return stay(state);
      break;
    case 'callee_whisper':
      if (event.type === 'prompt.finished' && event.prompt === 'whisper') return { to: 'connected', effects: [{ kind: 'connect_callee' }] };
      if (event.type === 'visitor.ended') return end({ ...ctx, visitorUp: false }, { outcome: 'abandoned', cause: event.cause, causeTxt: event.causeTxt });
      if (event.type === 'callee.ended') return end({ ...ctx, calleeUp: false }, { outcome: 'callee_unanswered', cause: event.cause, causeTxt: `${event.causeTxt} (during whisper)` });
      if (event.type === 'prompt.finished' || event.type === 'visitor.dtmf' || event.type === 'confirm.timeout' || event.type === 'confirm.ask_again') return stay(state);
      break;
    case 'connected':
      // Before the bridge is confirmed the two never spoke: the visitor hanging up is abandoning, the callee a callee lost.
      if (event.type === 'visitor.ended') return end({ ...ctx, visitorUp: false }, { outcome: ctx.bridged ? 'answered' : 'abandoned', cause: event.cause, causeTxt: event.causeTxt });
      if (event.type === 'callee.ended') return end({ ...ctx, calleeUp: false }, { outcome: ctx.bridged ? 'answered' : 'callee_unanswered', cause: event.cause, causeTxt: event.causeTxt });
      if (event.type === 'visitor.dtmf' || event.type === 'prompt.finished' || event.type === 'confirm.timeout' || event.type === 'confirm.ask_again') return stay(state);
      break;
  }
  throw new IllegalTransition(state, event.type);
}
