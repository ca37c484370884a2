import type { EventBus } from '../platform/event-bus.ts';
import type { TelephonyEvent } from '../telephony/telephony-port.ts';
import { parseCallId } from './session/call-ids.ts';
import { AgentFirstSession } from './session/agent-first-session.ts';
import { CallSession } from './session/call-session.ts';
import { WebCallSession } from './session/web-call-session.ts';
import type { SessionRegistry } from './session-registry.ts';

/**
 * Telephony events to the sessions they are for. Every channel, bridge and playback id names its attempt
 * (call-ids.ts); an event for an attempt with no live session here, or for a leg the session no longer rings, is
 * dropped. Events reach a session as its own events, queued in arrival order (serial-session.ts).
 */
export class EventRouter {
  /** Attempts whose channels Asterisk is hanging up because it is shutting down. */
  private readonly exchangeLost = new Set<string>();

  constructor(private readonly sessions: SessionRegistry, private readonly bus: EventBus) {}

  route(e: TelephonyEvent): void {
    if (e.type === 'connection.lost' || e.type === 'connection.restored') return;
    const id = 'playbackId' in e ? e.playbackId : 'channelId' in e ? e.channelId : null;
    const named = id ? this.sessions.attemptOfChannel(id) : undefined;
    const parsed = named ? { attemptId: named, leg: 'visitor' as const, prompt: undefined } : id ? parseCallId(id) : null;
    if (!parsed) return;
    const session = this.sessions.get(parsed.attemptId);
    if (!session) return;
    const leg = parsed.leg;
    if (session instanceof WebCallSession) return this.routeWebCall(session, leg, e);
    // The leg of a transfer target being rung: its answer or end decides the transfer, not the call.
    if (session instanceof AgentFirstSession && session.transfer && 'channelId' in e && e.channelId === session.transfer.leg) {
      if (e.type === 'call.answered') void session.dispatch({ type: 'transfer.answered', leg: e.channelId });
      if (e.type === 'call.ended') void session.dispatch({ type: 'transfer.ended', leg: e.channelId, cause: e.cause, causeTxt: e.causeTxt });
      return;
    }
    // An earlier callee leg of the attempt (an agent replaced by the next one) is no longer the session's.
    if (leg === 'callee' && 'channelId' in e && e.channelId !== session.ids.callee) return;
    switch (e.type) {
      case 'call.answered':
        void session.dispatch({ type: leg === 'visitor' ? 'visitor.answered' : 'callee.answered' });
        if (leg === 'visitor') void this.bus.publish({ type: 'request.status', requestId: session.target.requestId, status: 'dialing', phase: 'visitor_answered', at: new Date().toISOString() });
        return;
      case 'call.hangup_requested':
        // Asterisk shutting down hangs every channel up with cause 4 (as recorded from Asterisk 22): those calls
        // are lost, not abandoned by the visitor, and the retry policy gets to try again.
        if (e.cause === 4) this.exchangeLost.add(parsed.attemptId);
        return;
      case 'call.ended':
        if (this.exchangeLost.delete(parsed.attemptId) && session instanceof CallSession) {
          void session.lose('Asterisk went down during the call');
          return;
        }
        void session.dispatch({ type: leg === 'visitor' ? 'visitor.ended' : 'callee.ended', cause: e.cause, causeTxt: e.causeTxt });
        return;
      case 'dtmf.received':
        if (leg === 'visitor') void session.dispatch({ type: 'visitor.dtmf', digit: e.digit });
        return;
      case 'playback.finished':
        if (parsed.prompt === 'confirm' || parsed.prompt === 'announce' || parsed.prompt === 'whisper') void session.dispatch({ type: 'prompt.finished', prompt: parsed.prompt });
        return;
      default:
        return;
    }
  }

  /**
   * A web call's events. The browser's leg is gone at its StasisEnd (it entered our app through the dialplan and
   * leaves it there, with no ChannelDestroyed) or at ChannelDestroyed (when we hung it up); the cause is the one
   * its hangup request carried, when it carried one. Its StasisStart is the call's start, not an answer.
   */
  private readonly browserCauses = new Map<string, number>();

  private routeWebCall(session: WebCallSession, leg: string, e: TelephonyEvent): void {
    if (leg === 'visitor') {
      if (e.type === 'call.hangup_requested' && e.cause !== null) this.browserCauses.set(e.channelId, e.cause);
      if (e.type === 'call.left' || e.type === 'call.ended') {
        const requested = this.browserCauses.get(e.channelId);
        this.browserCauses.delete(e.channelId);
        // Cause 4 is Asterisk shutting down (as for call-backs above): the call was lost, the browser did not hang up.
        if (requested === 4) {
          void session.lose('Asterisk went down during the call');
          return;
        }
        const cause = e.type === 'call.ended' ? e.cause : requested ?? 16;
        void session.dispatch({ type: 'browser.left', cause, causeTxt: e.type === 'call.ended' ? e.causeTxt : 'browser hung up' });
      }
      return;
    }
    if (leg !== 'callee' || !('channelId' in e) || e.channelId !== session.ids.callee) return;
    if (e.type === 'call.answered') void session.dispatch({ type: 'callee.answered' });
    if (e.type === 'call.ended') void session.dispatch({ type: 'callee.ended', cause: e.cause, causeTxt: e.causeTxt });
  }
}
