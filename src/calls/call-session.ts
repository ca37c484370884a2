import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import type { TelephonyPort } from '../telephony/telephony-port.ts';
import { OriginateError } from '../telephony/telephony-port.ts';
import { recordTransition } from './attempt.repository.ts';
import { callIds } from './call-ids.ts';
import { transition, type CallContext, type CallEvent, type CallState, type Effect, type Outcome } from './call-state.ts';

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
}

/**
 * One call attempt: feeds events through the pure state machine one at a time, stores each transition,
 * then performs its effects through the telephony port. Events after the end (the leg we hung up
 * reporting its destruction) are dropped.
 */
export class CallSession {
  state: CallState = 'visitor_ringing';
  private ctx: CallContext;
  private chain: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  readonly ids: ReturnType<typeof callIds>;
  readonly log: Logger;

  constructor(
    readonly target: SessionTarget,
    private readonly settings: SessionSettings,
    private readonly deps: { pool: Pool; port: TelephonyPort; log: Logger },
    private readonly hooks: SessionHooks,
  ) {
    this.ids = callIds(target.attemptId);
    this.ctx = { confirm: settings.confirm, confirmKey: settings.confirmKey, optOutKey: settings.optOutKey, visitorUp: false, calleeUp: false };
    this.log = deps.log.child({ requestId: target.requestId, attemptId: target.attemptId });
  }

  get ended(): boolean { return this.state === 'ended'; }

  /** Places the visitor leg. The attempt row (state visitor_ringing) is already committed. */
  async start(): Promise<void> {
    try {
      this.ctx.visitorUp = true;
      await this.deps.port.originate({
        channelId: this.ids.visitor,
        endpoint: this.target.visitorEndpoint,
        callerId: this.target.visitorCallerId,
        timeoutSec: this.settings.ringTimeoutSec,
        appArgs: ['visitor', this.target.attemptId],
        variables: { 'CHANNEL(accountcode)': this.target.accountCode },
      });
      this.log.info({ endpoint: this.target.visitorEndpoint }, 'visitor leg originated');
    } catch (err) {
      this.ctx.visitorUp = false;
      this.log.warn({ err: (err as Error).message }, 'visitor originate refused');
      this.dispatch({ type: 'originate.failed', status: err instanceof OriginateError ? err.status : 0 });
    }
  }

  /** Queues an event; events are handled strictly one after another. */
  dispatch(event: CallEvent): Promise<void> {
    this.chain = this.chain.then(() => this.handle(event)).catch((err) => {
      this.log.error({ err, event: event.type }, 'call session error; ending the call');
      if (!this.ended) return this.handle({ type: 'abort', reason: 'internal error' }).catch(() => {});
    });
    return this.chain;
  }

  private async handle(event: CallEvent): Promise<void> {
    if (this.ended) return;
    if (event.type === 'visitor.ended') this.ctx.visitorUp = false;
    if (event.type === 'callee.ended' || event.type === 'callee.originate_failed') this.ctx.calleeUp = false;
    const from = this.state;
    const t = transition(from, event, this.ctx);
    this.state = t.to;
    if (from !== t.to || t.outcome) {
      await recordTransition(this.deps.pool, {
        attemptId: this.target.attemptId, from, event: event.type, to: t.to,
        answered: t.visitorAnswered, calleeAnswered: t.calleeAnswered, outcome: t.outcome,
      });
      this.log.info({ from, event: event.type, to: t.to, outcome: t.outcome?.outcome }, 'call transition');
    }
    for (const effect of t.effects) await this.perform(effect);
    if (t.to === 'callee_ringing' && from !== 'callee_ringing') this.hooks.phase(from === 'visitor_ringing' ? 'visitor_answered' : 'calling_callee');
    if (t.to === 'connected' && from !== 'connected') {
      this.timer(this.settings.maxCallSec * 1000, { type: 'abort', reason: 'maximum call length reached' });
      this.hooks.phase('connected');
    }
    if (t.to === 'visitor_confirming' && from === 'visitor_ringing') this.hooks.phase('visitor_answered');
    if (t.to === 'ended') {
      for (const timer of this.timers) clearTimeout(timer);
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
      case 'originate_callee':
        this.ctx.calleeUp = true;
        try {
          await port.originate({
            channelId: ids.callee,
            endpoint: this.target.calleeEndpoint,
            callerId: this.target.calleeCallerId,
            timeoutSec: this.settings.ringTimeoutSec,
            appArgs: ['callee', this.target.attemptId],
            variables: { 'CHANNEL(accountcode)': this.target.accountCode },
          });
        } catch (err) {
          this.ctx.calleeUp = false;
          this.log.warn({ err: (err as Error).message }, 'callee originate refused');
          void this.dispatch({ type: 'callee.originate_failed', status: err instanceof OriginateError ? err.status : 0 });
        }
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

  private timer(ms: number, event: CallEvent): void {
    const t = setTimeout(() => void this.dispatch(event), ms);
    t.unref();
    this.timers.push(t);
  }
}
