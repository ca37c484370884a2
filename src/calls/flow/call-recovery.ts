import type { CallEvent, CallState, Effect, Outcome, Transition } from './call-state.ts';
import type { AgentFirstEvent, AgentFirstState } from './agent-first-state.ts';
import type { WebCallEvent, WebCallState } from './web-call-state.ts';

/**
 * What to do with a call whose events may have been missed (pure; src/calls/upkeep/recovery.ts acts on it):
 * after the ARI WebSocket was down (events during the gap are gone for good), or for an attempt a previous
 * process left in flight. Asterisk's channel list is the truth; PostgreSQL and memory are brought in line with it.
 *
 * What happens to an attempt (`reconcileAttempt`):
 * - a leg we were waiting on is gone: the call is finished as `lost` — before the visitor spoke to anyone
 *   the outcome is `failed` (cause unknown) and the retry policy decides; once connected it is `answered`.
 * - a leg answered while we were not listening: the missed event is replayed (visitor.answered /
 *   callee.answered) and the flow goes on.
 * - a ringing visitor leg, or a connected call with both legs up, is re-adopted: a session is rebuilt in the
 *   stored state and carries on (the visitor keeps talking; the ringing phone may still be answered).
 * - a call mid-prompt in a new process (confirming, whisper, or ringing the callee without the visitor's
 *   channel state known) cannot be resumed faithfully: its legs are hung up cleanly and it counts as
 *   `failed`, so the policy retries it. Never left up, never dialed twice: a retry is a new attempt.
 */

/** The session-level event that ends a call whose legs were lost (or that we hang up to recover). */
export interface LostEvent {
  type: 'lost'; reason: string; visitorUp: boolean; calleeUp: boolean;
  /** false: the session knows the bridge was never confirmed (its connect step failed); absent: a connected call counts as bridged. */
  bridged?: boolean;
}

export function lostTransition(state: CallState, e: LostEvent): Transition {
  const effects: Effect[] = [];
  if (e.visitorUp) effects.push({ kind: 'hangup_visitor' });
  if (e.calleeUp) effects.push({ kind: 'hangup_callee' });
  effects.push({ kind: 'destroy_bridge' });
  // A connected (bridged) visitor has been called back as promised; anything earlier is a failed attempt.
  const outcome: Outcome = { outcome: state === 'connected' && e.bridged !== false ? 'answered' : 'failed', cause: null, causeTxt: e.reason };
  return { to: 'ended', effects, outcome };
}

/** An ARI channel state ('Up', 'Ringing', 'Down', ...), null when the channel is gone, 'unknown' when we cannot tell yet. */
export type Presence = string | null | 'unknown';

export type Reconcile =
  | { action: 'keep' }
  | { action: 'event'; event: CallEvent }
  | { action: 'lost'; reason: string };

export function reconcileAttempt(state: CallState, visitor: Presence, callee: Presence, o: { resumed: boolean; afterGap?: boolean }): Reconcile {
  const gone = (p: Presence) => p === null;
  const up = (p: Presence) => p === 'Up';
  switch (state) {
    case 'ended':
      return { action: 'keep' };
    case 'visitor_ringing':
      if (gone(visitor)) return { action: 'lost', reason: 'visitor leg gone before answer (events lost)' };
      if (up(visitor)) return { action: 'event', event: { type: 'visitor.answered' } };
      return { action: 'keep' };
    case 'visitor_confirming':
      if (gone(visitor)) return { action: 'lost', reason: 'visitor leg gone while confirming (events lost)' };
      if (o.resumed) return { action: 'lost', reason: 'interrupted while confirming: worker restarted' };
      // A key pressed while the socket was down is lost for good: the visitor is asked again (once the prompt has ended).
      return o.afterGap && up(visitor) ? { action: 'event', event: { type: 'confirm.ask_again' } } : { action: 'keep' };
    case 'callee_ringing':
      if (gone(visitor)) return { action: 'lost', reason: 'visitor leg gone while calling the callee (events lost)' };
      if (gone(callee)) return { action: 'lost', reason: 'callee leg gone before answer (events lost)' };
      if (up(callee)) return { action: 'event', event: { type: 'callee.answered' } };
      return { action: 'keep' };
    case 'connected':
      if (gone(visitor) || gone(callee)) return { action: 'lost', reason: 'a connected leg ended while events were lost' };
      return { action: 'keep' };
    default:
      // Intermediate states (e.g. callee_whisper) run on timers and prompts we cannot pick up again.
      if (gone(visitor) || gone(callee) || o.resumed) return { action: 'lost', reason: `interrupted in ${state}` };
      return { action: 'keep' };
  }
}

/**
 * The same decision for a live agent-first call (agent-first-state.ts) after events were lost: a leg gone is
 * reported as ended (cause unknown: the state machine decides what that means in each state), a leg answered
 * during the gap as answered; anything else goes on. Only live sessions of this process are reconciled: an
 * agent-first call left by a previous process is ended and put back in line (resume.ts).
 */
export function reconcileAgentFirst(state: AgentFirstState, agent: Presence, visitor: Presence): { action: 'keep' } | { action: 'event'; event: AgentFirstEvent } {
  const ended = (who: string, type: 'callee.ended' | 'visitor.ended'): { action: 'event'; event: AgentFirstEvent } =>
    ({ action: 'event', event: { type, cause: 0, causeTxt: `${who} leg gone while events were lost` } });
  switch (state) {
    case 'agent_ringing':
      if (agent === null) return ended('agent', 'callee.ended');
      if (agent === 'Up') return { action: 'event', event: { type: 'callee.answered' } };
      return { action: 'keep' };
    case 'visitor_ringing':
      if (agent === null) return ended('agent', 'callee.ended');
      if (visitor === null) return ended('visitor', 'visitor.ended');
      if (visitor === 'Up') return { action: 'event', event: { type: 'visitor.answered' } };
      return { action: 'keep' };
    // While a transfer target rings, the call's own legs are as when connected (the target's leg has its own timer).
    case 'connected': case 'transferring':
      if (visitor === null) return ended('visitor', 'visitor.ended');
      if (agent === null) return ended('agent', 'callee.ended');
      return { action: 'keep' };
    default:
      return { action: 'keep' };
  }
}

/**
 * A live session of this process that no longer matches what is stored, and so is handled by nothing: its
 * attempt is no longer live in PostgreSQL (`gone`), or stored in another state than the session holds
 * (`differs`). Only a session with no event under way whose state was stored before the list was read is
 * judged: otherwise the list may simply be older than the session.
 */
export function storedMismatch(s: { idle: boolean; storedAt: number; state: string }, stored: { state: string } | undefined, listedAt: number): 'gone' | 'differs' | null {
  if (!s.idle || s.storedAt >= listedAt) return null;
  if (!stored) return 'gone';
  return stored.state === s.state ? null : 'differs';
}

/**
 * The same decision for a live web call (web-call-state.ts) after events were lost: the browser's channel or a
 * callee leg we were waiting on gone ends the call (a web call is never dialed again), a callee answered during
 * the gap is replayed. A web call left by a previous process or a dead worker is ended (resume.ts).
 */
export function reconcileWebCall(state: WebCallState, browser: Presence, callee: Presence): { action: 'keep' } | { action: 'event'; event: WebCallEvent } {
  const lost = (reason: string) => ({ action: 'event' as const, event: { type: 'abort' as const, reason } });
  if (state === 'ended' || state === 'browser_arrived') return { action: 'keep' };
  if (browser === null) return { action: 'event', event: { type: 'browser.left', cause: 0, causeTxt: 'browser leg gone while events were lost' } };
  if (callee === null) return lost('callee leg gone while events were lost');
  if (state === 'callee_ringing' && callee === 'Up') return { action: 'event', event: { type: 'callee.answered' } };
  return { action: 'keep' };
}
