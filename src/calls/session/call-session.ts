import type { Logger } from '../../platform/logger.ts';
import { calleeLegId, callIds, parseCallId, type CallIds } from './call-ids.ts';
import { SerialSession, type SessionDeps } from './serial-session.ts';
import { transition, type CallContext, type CallEvent, type CallState, type Effect, type Outcome } from '../flow/call-state.ts';
import { lostTransition, type LostEvent } from '../flow/call-recovery.ts';
import type { LegCall } from './originate-leg.ts';


/** Events a session takes: the state machine's, plus `lost` (legs gone or given up on; flow/call-recovery.ts). */
export type SessionEvent = CallEvent | LostEvent;

export interface SessionSettings {
  confirm: boolean;
  confirmKey: string;
  optOutKey: string | null;
  /** How long to wait for the confirm key after the prompt has played. */
  confirmWaitMs: number;
  ringTimeoutSec: number;
  maxCallSec: number;
  mohClass: string;
  prompts: { confirm: string[]; announce: string[] };
  /** Media played to the callee before bridging (agents: names the subscriber); absent = no whisper. */
  whisper?: string[];
}

export interface SessionTarget {
  attemptId: string;
  requestId: string;
  visitorNumber: string;        // E.164
  visitorEndpoint: string;      // dial string through the trunk
  visitorCallerId: string;      // what the visitor's phone shows: the subscriber's number
  calleeEndpoint: string;       // the subscriber's (department's) phone through the trunk, or an agent endpoint
  calleeCallerId: string;       // what the callee's phone shows: the visitor's number
  accountCode: string;          // the subscriber's slug, so Asterisk's CDRs name the tenant
}

export interface SessionHooks {
  /** Called once, after the final transition is stored. */
  ended(outcome: Outcome): Promise<void>;
  /** Phase changes worth telling the visitor about (status page, widget). */
  phase(phase: 'visitor_answered' | 'calling_callee' | 'connected' | 'ended'): void;
  optOut?(): Promise<void>;
  /**
   * Agents: a callee who does not take the call (busy, no answer, declined) may be replaced by the next one
   * while the visitor holds. Returns the next callee's endpoint, or null to end the attempt as usual.
   */
  nextCallee?(why: { cause: number | null; causeTxt: string }): Promise<string | null>;
  /** Checked right before the callee leg is dialed (a phone still verified and allowed): a reason not to, or null. */
  calleeRefusal?(): Promise<string | null>;
}

/**
 * One call attempt: feeds events through the pure state machine one at a time, stores each transition,
 * then performs its effects through the telephony port. Events after the end (the leg we hung up
 * reporting its destruction) are dropped.
 */
export class CallSession extends SerialSession<CallState, SessionEvent> {
  state: CallState = 'visitor_ringing';
  private ctx: CallContext;
  /** `ids.callee` is the callee leg rung now: each replacement callee gets a channel id of its own. */
  ids: CallIds;
  readonly log: Logger;
  /** When Asterisk confirmed each leg's originate (null: not yet): reconciliation must not take a leg still being placed for a lost one. */
  visitorOriginatedAt: number | null = null;
  calleeOriginatedAt: number | null = null;

  constructor(
    readonly target: SessionTarget,
    private readonly settings: SessionSettings,
    private readonly deps: SessionDeps,
    private readonly hooks: SessionHooks,
  ) {
    super(deps);
    this.ids = callIds(target.attemptId);
    this.ctx = { confirm: settings.confirm, confirmKey: settings.confirmKey, optOutKey: settings.optOutKey, whisper: !!settings.whisper?.length, visitorUp: false, calleeUp: false };
    this.log = deps.log.child({ requestId: target.requestId, attemptId: target.attemptId });
  }

  /** Places the visitor leg. The attempt row (state visitor_ringing) is already committed. */
  async start(): Promise<void> {
    this.ctx.visitorUp = true;
    const placed = await this.placeLeg(this.deps.port, {
      what: 'visitor', role: 'visitor', channelId: this.ids.visitor, endpoint: this.target.visitorEndpoint, callerId: this.target.visitorCallerId,
    }, this.legCall(), (status) => { this.ctx.visitorUp = false; return { type: 'originate.failed', status }; });
    if (!placed) return;
    this.visitorOriginatedAt = Date.now();
    this.log.debug({ endpoint: this.target.visitorEndpoint }, 'visitor leg originated');
  }

  private legCall(): LegCall {
    return { attemptId: this.target.attemptId, accountCode: this.target.accountCode, ringTimeoutSec: this.settings.ringTimeoutSec };
  }

  /**
   * Takes over a call found in flight (recovery): the stored state and the legs Asterisk still has.
   * A connected call gets its maximum-length timer again, counted from now.
   */
  adopt(state: CallState, legs: { visitorUp: boolean; calleeUp: boolean }): void {
    this.state = state;
    this.ctx.visitorUp = legs.visitorUp;
    this.ctx.calleeUp = legs.calleeUp;
    const now = Date.now();
    this.visitorOriginatedAt = now;
    this.calleeOriginatedAt = legs.calleeUp ? now : null;
    // Stored connected with both legs still up (reconcile keeps only those): bridged as far as we can know.
    if (state === 'connected') this.ctx.bridged = true;
    if (state === 'connected') this.timer(this.settings.maxCallSec * 1000, { type: 'abort', reason: 'maximum call length reached' });
  }

  /** The callee leg stored for a call taken over (recovery): a replacement callee's channel has an id of its own. */
  useCalleeChannel(channelId: string): void {
    this.ids = { ...this.ids, callee: channelId };
  }

  /** Ends the call as lost, hanging up whatever is up (worker shutdown after the grace period). */
  lose(reason: string): Promise<void> {
    return this.dispatch({ type: 'lost', reason, visitorUp: this.ctx.visitorUp, calleeUp: this.ctx.calleeUp, bridged: !!this.ctx.bridged });
  }

  /**
   * An effect that failed (Asterisk answering an error or not at all, a request cut off) is not the visitor hanging
   * up: the call ends as lost, `failed` with the cause ("asterisk error: …") unless the bridge was confirmed, so a
   * visitor not yet connected is called again by the retry policy.
   */
  protected abort(reason: string): SessionEvent { return { type: 'lost', reason, visitorUp: this.ctx.visitorUp, calleeUp: this.ctx.calleeUp, bridged: !!this.ctx.bridged }; }

  protected async handle(event: SessionEvent): Promise<void> {
    if (this.ended) return;
    if (event.type === 'confirm.ask_again') {
      if (this.state !== 'visitor_confirming') return;
      // Still playing: its end will be heard now that the socket is back. Ended: ask again, with fresh timers.
      if (await this.deps.port.playbackActive(this.ids.playback('confirm'))) return;
      this.clearTimers();
      this.log.info('events were lost while the visitor was asked for the key; asking again');
    }
    if (event.type === 'lost') { this.ctx.visitorUp = event.visitorUp; this.ctx.calleeUp = event.calleeUp; }
    if (event.type === 'visitor.ended') this.ctx.visitorUp = false;
    if (event.type === 'callee.ended' || event.type === 'callee.originate_failed') this.ctx.calleeUp = false;
    if ((event.type === 'callee.ended' || event.type === 'callee.originate_failed') && this.state === 'callee_ringing' && this.hooks.nextCallee) {
      const why = event.type === 'callee.ended' ? { cause: event.cause, causeTxt: event.causeTxt } : { cause: null, causeTxt: `callee originate refused (${event.status})` };
      const next = await this.hooks.nextCallee(why);
      if (next && !this.ended) {
        const channelId = calleeLegId(this.target.attemptId, (parseCallId(this.ids.callee)?.calleeLeg ?? 1) + 1);
        // The attempt names the callee it rings now (stored with the transition), so its records credit who answered.
        await this.durably(() => this.record({ attemptId: this.target.attemptId, from: this.state, event: 'callee.replaced', to: this.state, callee: { channelId, endpoint: next } }));
        this.log.info({ endpoint: next, channelId, why: why.causeTxt }, 'callee replaced; ringing the next one');
        this.target.calleeEndpoint = next;
        this.ids = { ...this.ids, callee: channelId };
        this.calleeOriginatedAt = null;
        await this.bounded('originate_callee', () => this.perform({ kind: 'originate_callee' }));
        return;
      }
    }
    const from = this.state;
    const t = event.type === 'lost' ? lostTransition(from, event) : transition(from, event, this.ctx);
    // Stored first, then taken: a write that cannot be made leaves the session in the state that is stored.
    if (from !== t.to || t.outcome) {
      await this.durably(() => this.record({
        attemptId: this.target.attemptId, from, event: event.type, to: t.to,
        answered: t.visitorAnswered, calleeAnswered: t.calleeAnswered, outcome: t.outcome,
      }));
      // Every transition is in attempt_transitions; the operator's line is the worker's 'call ended' (worker.ts).
      this.log.debug({ from, event: event.type, to: t.to, outcome: t.outcome?.outcome }, 'call transition');
    }
    this.state = t.to;
    const stepDone = await this.performEffects(t.effects, t.to === 'ended', (effect) => this.perform(effect), (effect) => {
      if (effect.kind === 'connect_callee') this.ctx.bridged = true;
    });
    if (!stepDone) return;
    if (t.to === 'callee_ringing' && from !== 'callee_ringing') this.hooks.phase(from === 'visitor_ringing' ? 'visitor_answered' : 'calling_callee');
    if (t.to === 'connected' && from !== 'connected') {
      this.timer(this.settings.maxCallSec * 1000, { type: 'abort', reason: 'maximum call length reached' });
      this.hooks.phase('connected');
    }
    if (t.to === 'visitor_confirming' && from === 'visitor_ringing') this.hooks.phase('visitor_answered');
    if (t.to === 'ended') {
      this.clearTimers();
      this.hooks.phase('ended');
      await this.hooks.ended(t.outcome!);
    }
  }

  private async perform(effect: Effect): Promise<void> {
    const { port } = this.deps;
    const ids = this.ids;
    switch (effect.kind) {
      case 'answer_visitor': return port.answer(ids.visitor);
      case 'create_bridge_with_visitor':
        await port.createBridge(ids.bridge);
        await port.addToBridge(ids.bridge, ids.visitor);
        return;
      case 'play': {
        await port.play(ids.visitor, ids.playback(effect.prompt), this.settings.prompts[effect.prompt]);
        if (effect.prompt === 'confirm') {
          // Safety net: if Asterisk never reports the prompt's end, still give up after a generous bound.
          this.timer(60_000, { type: 'confirm.timeout' });
        }
        return;
      }
      case 'stop_prompt': return port.stopPlayback(ids.playback(effect.prompt));
      case 'start_confirm_timer': return void this.timer(this.settings.confirmWaitMs, { type: 'confirm.timeout' });
      case 'start_moh': return port.startMoh(ids.visitor, this.settings.mohClass);
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
      case 'whisper':
        await port.play(ids.callee, ids.playback('whisper'), this.settings.whisper ?? []);
        // If Asterisk never reports the whisper's end, connect anyway rather than leave both waiting.
        this.timer(15_000, { type: 'prompt.finished', prompt: 'whisper' });
        return;
      case 'connect_callee':
        await port.stopPlayback(ids.playback('announce'));
        await port.stopMoh(ids.visitor);
        await port.addToBridge(ids.bridge, ids.callee);
        return;
      case 'hangup_visitor': return port.hangup(ids.visitor);
      case 'hangup_callee': return port.hangup(ids.callee);
      case 'destroy_bridge': return port.destroyBridge(ids.bridge);
      case 'opt_out': return this.hooks.optOut?.();
    }
  }
}
