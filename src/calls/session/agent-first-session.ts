import type { Logger } from '../../platform/logger.ts';
import { calleeLegId, callIds } from './call-ids.ts';
import { SerialSession, type SessionDeps } from './serial-session.ts';
import type { LegCall } from './originate-leg.ts';
import { effectError, LegGone } from '../flow/effect-failure.ts';
import type { Outcome } from '../flow/call-state.ts';
import type { SessionTarget } from './call-session.ts';
import {
  agentFirstTransition, type AgentFirstContext, type AgentFirstEffect, type AgentFirstEvent, type AgentFirstState, type AgentFirstTransition,
} from '../flow/agent-first-state.ts';

export interface AgentFirstSettings {
  ringTimeoutSec: number;
  maxCallSec: number;
  /** How long an offer waits for Accept in the console before it counts as missed. */
  offerTimeoutMs: number;
  /** Ring the agent's phone at once (no Accept needed). */
  autoAccept: boolean;
  /** What the agent hears while the visitor's phone rings. */
  progressMedia: string[];
  /** Music on hold class played to a visitor the agent put on hold. */
  mohClass?: string;
}

export type AgentFirstPhase = 'ringing_agent' | 'ringing_visitor' | 'connected' | 'ended';

/** The agent a transfer rings, and the channel id of its leg. */
export interface TransferTarget { agentId: string | null; endpoint: string; name: string; leg: string }

export interface AgentFirstHooks {
  /** Called once, after the final transition is stored; `offer` says how the offer to the agent ended. */
  ended(outcome: Outcome, offer: NonNullable<AgentFirstTransition['offer']>, visitorDialed: boolean): Promise<void>;
  phase(phase: AgentFirstPhase): void;
  /**
   * Right before the visitor leg, on data read afresh: a reason not to dial, or the caller id to show now (the
   * subscriber's verified number may have changed while the agent was being offered the call).
   */
  beforeVisitor?(): Promise<{ refused: string } | { callerId: string }>;
  /** A transfer ended: `tookOver` when the target now holds the call (its leg is the agent leg), else it stays with the agent who had it. */
  transferEnded?(target: TransferTarget, tookOver: boolean): Promise<void>;
  /** The visitor is on hold and the transfer target is being rung. */
  transferStarted?(target: TransferTarget): Promise<void>;
}

/**
 * One agent-first attempt: the agent is called first (after Accept in the console, or at once for
 * auto-answer agents), then the visitor while the agent hears ringing; bridged when the visitor answers.
 * Same discipline as CallSession: one event at a time, each transition stored, then its effects performed.
 */
export class AgentFirstSession extends SerialSession<AgentFirstState, AgentFirstEvent> {
  state: AgentFirstState = 'offered';
  private ctx: AgentFirstContext = { agentUp: false, visitorUp: false };
  /** What the agent set on the connected call (the console shows it; hold must not undo the agent's own mute). */
  muted = false;
  held = false;
  private offer: AgentFirstTransition['offer'];
  private visitorDialed = false;
  /** When each leg's originate was accepted (recovery: a leg not yet created is not a leg lost). */
  agentOriginatedAt: number | null = null;
  visitorOriginatedAt: number | null = null;
  /** The transfer in progress (its target being rung), if any. */
  transfer: TransferTarget | null = null;
  /** Callee legs placed so far (a transfer target's leg is the next one: bk-c-<attempt>-<n>). */
  private calleeLegs = 1;
  readonly ids: ReturnType<typeof callIds>;
  readonly log: Logger;

  constructor(
    readonly target: SessionTarget,
    private readonly settings: AgentFirstSettings,
    private readonly deps: SessionDeps,
    private readonly hooks: AgentFirstHooks,
  ) {
    super(deps);
    this.ids = callIds(target.attemptId);
    this.log = deps.log.child({ requestId: target.requestId, attemptId: target.attemptId, flow: 'agent_first' });
  }

  /** The attempt row (state offered) is already committed; the console has been told about the offer. */
  async start(): Promise<void> {
    if (this.settings.autoAccept) await this.dispatch({ type: 'agent.accepted' });
    else this.timer(this.settings.offerTimeoutMs, { type: 'offer.timeout' });
  }

  protected abort(reason: string): AgentFirstEvent { return { type: 'abort', reason }; }

  private legCall(): LegCall {
    return { attemptId: this.target.attemptId, accountCode: this.target.accountCode, ringTimeoutSec: this.settings.ringTimeoutSec };
  }

  protected async handle(event: AgentFirstEvent): Promise<void> {
    if (this.ended) return;
    if (event.type === 'visitor.ended' || event.type === 'originate.failed') this.ctx.visitorUp = false;
    if (event.type === 'callee.ended' || event.type === 'callee.originate_failed') this.ctx.agentUp = false;
    // Word about a transfer leg that is no longer the one being rung (hung up after its time ran out) changes nothing.
    if ((event.type === 'transfer.answered' || event.type === 'transfer.ended') && event.leg !== this.transfer?.leg) return;
    if (event.type === 'transfer.ended') this.ctx.transferUp = false;
    const from = this.state;
    if (event.type === 'agent.transfer' && from === 'connected' && this.ctx.bridged && !this.transfer) {
      this.transfer = { ...event.target, leg: calleeLegId(this.target.attemptId, ++this.calleeLegs) };
    }
    const transfer = this.transfer;
    const t = agentFirstTransition(from, event, this.ctx);
    // Stored first, then taken (serial-session.ts).
    if (from !== t.to || t.outcome) {
      await this.durably(() => this.record({
        attemptId: this.target.attemptId, from, event: event.type, to: t.to,
        answered: t.visitorAnswered, calleeAnswered: t.calleeAnswered, outcome: t.outcome,
        // From a transfer taken over on, the attempt names the agent who took it (call records credit them).
        ...(t.tookOver && transfer ? { callee: { channelId: transfer.leg, endpoint: transfer.endpoint } } : {}),
      }));
      this.log.info({ from, event: event.type, to: t.to, outcome: t.outcome?.outcome }, 'agent-first transition');
    }
    this.state = t.to;
    if (t.offer) this.offer = t.offer;
    for (const effect of t.effects) {
      if (t.to === 'ended') {
        // Ending: every hangup is attempted and the end is always reported, even when Asterisk fails.
        await this.perform(effect).catch((err) => this.log.warn({ err: (err as Error).message, effect: effect.kind }, 'could not clean up after the call'));
        continue;
      }
      try {
        await this.perform(effect);
      } catch (err) {
        const e = effectError(effect.kind, err);
        // A party hung up meanwhile: its hangup event decides the outcome. Asterisk failing ends the call `failed`
        // (or back in line before the visitor was called) through the session's abort, with the cause.
        if (e instanceof LegGone) { this.log.info({ effect: effect.kind, err: e.message }, 'a party hung up during a call step'); return; }
        throw e;
      }
      if (effect.kind === 'connect_visitor') this.ctx.bridged = true;
    }
    if (t.to === 'transferring' && from !== 'transferring' && transfer) {
      await this.hooks.transferStarted?.(transfer).catch((err) => this.log.error({ err: (err as Error).message }, 'transfer start not recorded'));
    }
    if ((t.tookOver || t.transferFailed || t.to === 'ended') && transfer) {
      this.transfer = null;
      await this.hooks.transferEnded?.(transfer, !!t.tookOver).catch((err) => this.log.error({ err: (err as Error).message }, 'transfer not recorded'));
    }
    if (from !== t.to && from !== 'transferring' && t.to !== 'transferring') {
      if (t.to === 'agent_ringing') this.hooks.phase('ringing_agent');
      if (t.to === 'visitor_ringing') this.hooks.phase('ringing_visitor');
      if (t.to === 'connected') {
        this.timer(this.settings.maxCallSec * 1000, { type: 'abort', reason: 'maximum call length reached' });
        this.hooks.phase('connected');
      }
    }
    if (t.to === 'ended') {
      this.clearTimers();
      this.hooks.phase('ended');
      await this.hooks.ended(t.outcome!, this.offer ?? 'canceled', this.visitorDialed);
    }
  }

  private async perform(effect: AgentFirstEffect): Promise<void> {
    const { port } = this.deps;
    const ids = this.ids;
    switch (effect.kind) {
      case 'start_offer_timer': return void this.timer(this.settings.offerTimeoutMs, { type: 'offer.timeout' });
      case 'originate_agent': {
        this.ctx.agentUp = true;
        const placed = await this.placeLeg(port, {
          what: 'agent', role: 'agent', channelId: ids.callee, endpoint: this.target.calleeEndpoint, callerId: this.target.calleeCallerId,
        }, this.legCall(), (status) => { this.ctx.agentUp = false; return { type: 'callee.originate_failed', status }; });
        if (placed) this.agentOriginatedAt = Date.now();
        return;
      }
      case 'create_bridge_with_agent':
        await port.createBridge(ids.bridge);
        await port.addToBridge(ids.bridge, ids.callee);
        return;
      case 'play_progress': return port.play(ids.callee, ids.playback('progress'), this.settings.progressMedia);
      case 'stop_progress': return port.stopPlayback(ids.playback('progress'));
      case 'originate_visitor': {
        // The attempt reached the visitor's turn: how it ends is for the retry policy, not the agents' line.
        this.visitorDialed = true;
        const check = await this.hooks.beforeVisitor?.();
        if (check && 'refused' in check) {
          this.log.warn({ reason: check.refused }, 'visitor leg refused');
          void this.dispatch({ type: 'visitor.refused', reason: check.refused });
          return;
        }
        if (check) this.target.visitorCallerId = check.callerId;
        this.ctx.visitorUp = true;
        const placed = await this.placeLeg(port, {
          what: 'visitor', role: 'visitor', channelId: ids.visitor, endpoint: this.target.visitorEndpoint, callerId: this.target.visitorCallerId,
        }, this.legCall(), (status) => { this.ctx.visitorUp = false; return { type: 'originate.failed', status }; });
        if (placed) this.visitorOriginatedAt = Date.now();
        return;
      }
      case 'answer_visitor': return port.answer(ids.visitor);
      case 'connect_visitor': return port.addToBridge(ids.bridge, ids.visitor);
      case 'hangup_visitor': return port.hangup(ids.visitor);
      case 'hangup_agent': return port.hangup(ids.callee);
      case 'destroy_bridge': return port.destroyBridge(ids.bridge);
      // Mute: what the agent says no longer reaches the bridge (POST /channels/{agent}/mute?direction=in).
      case 'mute_agent': this.muted = true; return port.mute(ids.callee, 'in');
      case 'unmute_agent': this.muted = false; return this.held ? undefined : port.unmute(ids.callee, 'in');
      // Hold: music to the visitor's leg, and neither side hears the other until the agent takes them back.
      case 'hold_visitor':
        if (this.held) return;
        this.held = true;
        await port.startMoh(ids.visitor, this.settings.mohClass ?? 'default');
        await port.mute(ids.visitor, 'in');
        return port.mute(ids.callee, 'in');
      case 'unhold_visitor':
        this.held = false;
        await port.stopMoh(ids.visitor);
        await port.unmute(ids.visitor, 'in');
        return this.muted ? undefined : port.unmute(ids.callee, 'in');
      case 'originate_transfer': {
        const tr = this.transfer!;
        this.ctx.transferUp = true;
        // Not answered within the ring time: the visitor goes back to the agent (Asterisk's own timeout may come later).
        this.timer(this.settings.ringTimeoutSec * 1000 + 2000, { type: 'transfer.ended', leg: tr.leg, cause: 19, causeTxt: 'transfer not answered in time' });
        await this.placeLeg(port, {
          what: 'transfer', role: 'agent', channelId: tr.leg, endpoint: tr.endpoint, callerId: this.target.calleeCallerId,
        }, this.legCall(), (status) => {
          this.ctx.transferUp = false;
          return { type: 'transfer.ended', leg: tr.leg, cause: null, causeTxt: `transfer originate refused (${status})` };
        });
        return;
      }
      case 'take_over': {
        const tr = this.transfer!;
        await port.addToBridge(ids.bridge, tr.leg);
        // The target's leg is the call's agent leg from now on: the first agent's leg ending is not the call ending.
        const first = ids.callee;
        (ids as { callee: string }).callee = tr.leg;
        this.ctx.transferUp = false;
        this.muted = false;
        await port.hangup(first).catch((err) => this.log.info({ err: (err as Error).message }, 'first agent already gone'));
        return;
      }
      case 'hangup_transfer':
        this.ctx.transferUp = false;
        return this.transfer ? port.hangup(this.transfer.leg) : undefined;
    }
  }
}
