import type { Logger } from '../../platform/logger.ts';
import { calleeLegId, callIds } from './call-ids.ts';
import { SerialSession, type SessionDeps } from './serial-session.ts';
import { webCallTransition, type WebCallContext, type WebCallEffect, type WebCallEvent, type WebCallState } from '../flow/web-call-state.ts';
import type { Outcome } from '../flow/call-state.ts';
import type { LegCall } from './originate-leg.ts';


export interface WebCallTarget {
  attemptId: string;
  requestId: string;
  /** The browser's channel: Asterisk named it (PJSIP/anonymous-N) when the INVITE arrived; it is already in our app. */
  browserChannelId: string;
  /** The department's phone through the trunk, or an agent's endpoint: from our data, never from the browser. */
  calleeEndpoint: string;
  /** What the callee's phone shows: the visitor's name and that the call came from the web. */
  calleeCallerId: string;
  accountCode: string;
}

export interface WebCallSettings {
  ringTimeoutSec: number;
  maxCallSec: number;
  /** What the browser hears while the callee rings (ARI media URIs), played before the browser is answered. */
  ringbackMedia: string[];
}

export interface WebCallHooks {
  ended(outcome: Outcome): Promise<void>;
  phase(phase: 'calling_callee' | 'connected' | 'ended'): void;
  /** Checked right before the callee leg is dialed (a phone still verified and allowed): a reason not to, or null. */
  calleeRefusal?(): Promise<string | null>;
}

/**
 * One web call (flow/web-call-state.ts): events one at a time through the pure machine, each transition stored,
 * then its effects carried out through the telephony port (serial-session.ts). The browser's leg is the attempt's
 * visitor leg: `ids.visitor` is its channel, which Asterisk named, so the event router finds it through the
 * session registry rather than from the id.
 */
export class WebCallSession extends SerialSession<WebCallState, WebCallEvent> {
  state: WebCallState = 'browser_arrived';
  readonly ids: { visitor: string; callee: string; bridge: string };
  readonly log: Logger;
  private readonly ctx: WebCallContext = { browserUp: true, calleeUp: false, bridged: false };
  /** When Asterisk confirmed the callee's originate (null: not yet): recovery must not take a leg being placed for a lost one. */
  calleeOriginatedAt: number | null = null;

  constructor(
    readonly target: WebCallTarget,
    private readonly settings: WebCallSettings,
    private readonly deps: SessionDeps,
    private readonly hooks: WebCallHooks,
  ) {
    super(deps);
    this.ids = { visitor: target.browserChannelId, callee: calleeLegId(target.attemptId, 1), bridge: `bk-b-${target.attemptId}` };
    this.log = deps.log.child({ requestId: target.requestId, attemptId: target.attemptId, webcall: true });
  }

  /** The attempt row (state browser_arrived) is committed: ring and answer the browser, and ring the callee. */
  start(): Promise<void> { return this.dispatch({ type: 'start' }); }

  /** Ends the call from our side (shutdown, recovery). */
  lose(reason: string): Promise<void> { return this.dispatch({ type: 'abort', reason }); }

  protected abort(reason: string): WebCallEvent { return { type: 'abort', reason }; }

  protected async handle(event: WebCallEvent): Promise<void> {
    if (this.ended) return;
    if (event.type === 'browser.left') this.ctx.browserUp = false;
    if (event.type === 'callee.ended' || event.type === 'callee.originate_failed') this.ctx.calleeUp = false;
    const from = this.state;
    const t = webCallTransition(from, event, this.ctx);
    if (from !== t.to || t.outcome) {
      await this.durably(() => this.record({
        attemptId: this.target.attemptId, from, event: event.type, to: t.to,
        answered: t.visitorAnswered, calleeAnswered: t.calleeAnswered, outcome: t.outcome,
      }));
      this.log.debug({ from, event: event.type, to: t.to, outcome: t.outcome?.outcome }, 'web call transition');
    }
    this.state = t.to;
    const stepDone = await this.performEffects(t.effects, t.to === 'ended', (effect) => this.perform(effect), (effect) => {
      if (effect.kind === 'connect_callee') this.ctx.bridged = true;
    });
    if (!stepDone) return;
    if (t.to === 'callee_ringing' && from !== 'callee_ringing') this.hooks.phase('calling_callee');
    if (t.to === 'connected' && from !== 'connected') {
      this.timer(this.settings.maxCallSec * 1000, { type: 'abort', reason: 'maximum call length reached' });
      this.hooks.phase('connected');
    }
    if (t.to === 'ended') {
      this.clearTimers();
      this.hooks.phase('ended');
      await this.hooks.ended(t.outcome!);
    }
  }



  private get ringbackId(): string { return callIds(this.target.attemptId).playback('ringback'); }

  private legCall(): LegCall {
    return { attemptId: this.target.attemptId, accountCode: this.target.accountCode, ringTimeoutSec: this.settings.ringTimeoutSec };
  }

  private async perform(effect: WebCallEffect): Promise<void> {
    const { port } = this.deps;
    const ids = this.ids;
    switch (effect.kind) {
      case 'ring_browser': return port.ring(ids.visitor);
      // A playback on a channel not yet answered is sent as early media (183 with SDP): the browser hears it and
      // stays unanswered, so the callee's busy or no answer can still reach it as 486 or 480.
      case 'play_ringback': return port.play(ids.visitor, this.ringbackId, this.settings.ringbackMedia);
      case 'stop_ringback': return port.stopPlayback(this.ringbackId);
      case 'answer_browser': return port.answer(ids.visitor);
      case 'create_bridge_with_browser':
        await port.createBridge(ids.bridge);
        await port.addToBridge(ids.bridge, ids.visitor);
        return;
      case 'originate_callee': {
        const refused = await this.hooks.calleeRefusal?.();
        if (refused) {
          this.log.warn({ reason: refused }, 'callee leg refused');
          void this.dispatch({ type: 'callee.refused', reason: refused });
          return;
        }
        this.ctx.calleeUp = true;
        const placed = await this.placeLeg(port, {
          what: 'callee', role: 'callee', channelId: ids.callee, endpoint: this.target.calleeEndpoint, callerId: this.target.calleeCallerId,
        }, this.legCall(), (status) => { this.ctx.calleeUp = false; return { type: 'callee.originate_failed', status }; });
        if (placed) this.calleeOriginatedAt = Date.now();
        return;
      }
      case 'connect_callee': return port.addToBridge(ids.bridge, ids.callee);
      case 'hangup_browser': return port.hangup(ids.visitor, effect.reason);
      case 'hangup_callee': return port.hangup(ids.callee);
      case 'destroy_bridge': return port.destroyBridge(ids.bridge);
    }
  }
}
