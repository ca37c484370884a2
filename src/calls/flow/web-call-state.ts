import type { Outcome } from './call-state.ts';
import type { Leg } from './call-state.ts';

/**
 * A web call (the visitor calls from the browser, WebRTC through Asterisk) as an explicit state machine (pure: no
 * I/O). The browser's channel is already in our Stasis app when the attempt starts. It is rung (180) and hears
 * ringback as early media (a playback on a channel not yet answered: 183 with SDP, audible), and the callee is rung
 * exactly as a call-back's second leg. The browser is answered only when the callee answers, so until then every
 * way the callee fails reaches the browser as a SIP final response it can tell apart: busy 486, no answer 480,
 * refused 603, failed 503 (ARI hangup reasons busy, no_answer, normal, congestion on a channel in state Ring).
 *
 *   browser_arrived --start--> callee_ringing --callee answered--> connected --either hangs up--> ended
 *                                   |  callee busy / no answer / refused: the browser is refused with that reason
 *                                   +--browser left--> ended (abandoned)
 *
 * A web call is never dialed again: the browser called us, and a call that did not go through ends the request.
 * The browser leaving is its StasisEnd (a channel that entered through the dialplan's Stasis() leaves our app
 * there, with no ChannelDestroyed), or ChannelDestroyed when we hung it up ourselves: both arrive as `browser.left`.
 */
export type WebCallState = 'browser_arrived' | 'callee_ringing' | 'connected' | 'ended';

/** The leg a transition into each state starts: the browser's when the attempt is claimed, the callee's when rung. */
export const WEB_CALL_LEG_STARTS: { readonly [S in WebCallState]?: Leg } = { browser_arrived: 'visitor', callee_ringing: 'callee' };

/** How an unanswered browser call is refused (ARI hangup reason): 486 for busy, 480 for no answer, 603 for normal, 503 for congestion. */
export type BrowserHangupReason = 'normal' | 'busy' | 'no_answer' | 'congestion';

export type WebCallEvent =
  | { type: 'start' }
  | { type: 'browser.left'; cause: number; causeTxt: string }
  | { type: 'callee.originate_failed'; status: number }
  /** The check right before the callee leg (its phone still verified and allowed) said no: nothing was dialed. */
  | { type: 'callee.refused'; reason: string }
  | { type: 'callee.answered' }
  | { type: 'callee.ended'; cause: number; causeTxt: string }
  /** Our side ends the call (maximum length, shutdown, Asterisk failing a step, legs lost while not listening). */
  | { type: 'abort'; reason: string };

export type WebCallEffect =
  | { kind: 'ring_browser' }
  /** Ringback played to the unanswered browser: early media, stopped when the callee answers. */
  | { kind: 'play_ringback' }
  | { kind: 'stop_ringback' }
  | { kind: 'answer_browser' }
  | { kind: 'create_bridge_with_browser' }
  | { kind: 'originate_callee' }
  | { kind: 'connect_callee' }
  | { kind: 'hangup_browser'; reason: BrowserHangupReason }
  | { kind: 'hangup_callee' }
  | { kind: 'destroy_bridge' };

export interface WebCallContext {
  browserUp: boolean;
  calleeUp: boolean;
  /** Asterisk confirmed both parties in the bridge: only then is a call that ends `answered`. */
  bridged: boolean;
}

export interface WebCallTransition {
  to: WebCallState;
  effects: WebCallEffect[];
  outcome?: Outcome;
  visitorAnswered?: boolean;
  calleeAnswered?: boolean;
}

export class IllegalWebCallTransition extends Error {
  constructor(readonly from: WebCallState, readonly event: WebCallEvent['type']) { super(`illegal web call transition: ${from} -> ${event}`); }
}

/** What the browser is told when the callee did not take the call, from the callee leg's Q.850 cause. */
export function browserReasonForCallee(cause: number | null): BrowserHangupReason {
  if (cause === 17) return 'busy';
  if (cause === 18 || cause === 19 || cause === 21) return 'no_answer';
  return 'normal';
}

function end(ctx: WebCallContext, outcome: Outcome, browserReason: BrowserHangupReason = 'normal'): WebCallTransition {
  const effects: WebCallEffect[] = [];
  if (ctx.browserUp) effects.push({ kind: 'hangup_browser', reason: browserReason });
  if (ctx.calleeUp) effects.push({ kind: 'hangup_callee' });
  effects.push({ kind: 'destroy_bridge' });
  return { to: 'ended', effects, outcome };
}

const stay = (state: WebCallState): WebCallTransition => ({ to: state, effects: [] });

export function webCallTransition(state: WebCallState, event: WebCallEvent, ctx: WebCallContext): WebCallTransition {
  if (state === 'ended') throw new IllegalWebCallTransition(state, event.type);
  if (event.type === 'abort') {
    return end(ctx, { outcome: state === 'connected' && ctx.bridged ? 'answered' : 'failed', cause: null, causeTxt: event.reason });
  }
  if (event.type === 'browser.left') {
    const outcome = state === 'connected' && ctx.bridged ? 'answered' : 'abandoned';
    return end({ ...ctx, browserUp: false }, { outcome, cause: event.cause, causeTxt: event.causeTxt });
  }
  switch (state) {
    case 'browser_arrived':
      if (event.type === 'start') {
        return { to: 'callee_ringing', effects: [{ kind: 'ring_browser' }, { kind: 'play_ringback' }, { kind: 'originate_callee' }] };
      }
      break;
    case 'callee_ringing':
      if (event.type === 'callee.answered') {
        return {
          to: 'connected', visitorAnswered: true, calleeAnswered: true,
          effects: [{ kind: 'stop_ringback' }, { kind: 'answer_browser' }, { kind: 'create_bridge_with_browser' }, { kind: 'connect_callee' }],
        };
      }
      if (event.type === 'callee.ended') {
        return end({ ...ctx, calleeUp: false }, { outcome: 'callee_unanswered', cause: event.cause, causeTxt: event.causeTxt }, browserReasonForCallee(event.cause));
      }
      if (event.type === 'callee.originate_failed') return end({ ...ctx, calleeUp: false }, { outcome: 'callee_unanswered', cause: null, causeTxt: `callee originate refused (${event.status})` }, 'congestion');
      if (event.type === 'callee.refused') return end({ ...ctx, calleeUp: false }, { outcome: 'refused', cause: null, causeTxt: event.reason });
      if (event.type === 'start') return stay(state);
      break;
    case 'connected':
      if (event.type === 'callee.ended') return end({ ...ctx, calleeUp: false }, { outcome: ctx.bridged ? 'answered' : 'callee_unanswered', cause: event.cause, causeTxt: event.causeTxt });
      if (event.type === 'start' || event.type === 'callee.answered') return stay(state);
      break;
  }
  throw new IllegalWebCallTransition(state, event.type);
}

/** A web call's request after its only attempt: put through = completed; anything else ends it failed, with why. */
export function webCallRequestEnd(outcome: Outcome): { to: 'completed' | 'failed'; reason: string } {
  if (outcome.outcome === 'answered') return { to: 'completed', reason: 'web call answered' };
  const why = outcome.outcome === 'abandoned' ? 'the visitor hung up before the call was answered'
    : outcome.outcome === 'callee_unanswered' ? 'nobody answered the web call'
    : outcome.outcome;
  return { to: 'failed', reason: outcome.causeTxt ? `${why}: ${outcome.causeTxt}` : why };
}
