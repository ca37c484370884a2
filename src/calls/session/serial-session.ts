import type { Logger } from '../../platform/logger.ts';
import { retryTransient, StillFailing } from '../../platform/db/transient-retry.ts';
import { withDeadline } from '../../platform/wait-at-most.ts';
import { AsteriskFailure, effectError, failureReason, LegGone } from '../flow/effect-failure.ts';
import type { TelephonyPort } from '../../telephony/telephony-port.ts';
import type { Pool } from '../../platform/db/pool.ts';
import { recordTransition } from '../attempt.repository.ts';
import type { TransitionWriter } from './dial-store.ts';
import { originateLeg, type LegCall, type LegToPlace } from './originate-leg.ts';

/**
 * A write of the call's state kept failing for longer than the session may wait: the session stops (its timers
 * too) and the call is handed to recovery (recovery.ts), which rebuilds it from what is stored and from Asterisk.
 */
export class HandedToRecovery extends Error {}

/** How long a session keeps retrying a failed write of its state before handing the call to recovery. */
export const DEFAULT_WRITE_RETRY_MS = 30_000;

/**
 * What every call session shares (call-session.ts, agent-first-session.ts): events are handled strictly one
 * after another, in arrival order, however they arrive (ARI events, timers, console commands, recovery);
 * an error while handling one ends the call with an `abort` rather than leaving it half-way; timers feed
 * events into the same line and stop when the call ends.
 *
 * A session's state in memory is always one that is stored: a transition is written first (`durably`: retried
 * with back-off while PostgreSQL fails) and only then taken. A write still failing after `writeRetryMs`, or an
 * abort that cannot be stored, hands the call to recovery: the session is detached (`onDetach`, the dialer
 * forgets it), drops every later event, and recovery re-adopts the attempt from its stored state.
 */
/** What a session stores its transitions with and acts through. */
export interface SessionDeps {
  pool: Pool; port: TelephonyPort; log: Logger;
  /** How transitions are stored (dial-store.ts shares statements between calls); default: one statement each. */
  record?: TransitionWriter;
  writeRetryMs?: number;
}

const EFFECT_TIMEOUT_MS = 4000;

export abstract class SerialSession<S extends string, E extends { type: string }> {
  abstract state: S;
  abstract readonly log: Logger;
  protected readonly record: TransitionWriter;
  private chain: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  /** Events queued or being handled. */
  private pending = 0;
  /** Handed to recovery: nothing more is handled here. */
  detached = false;
  /** Called once when the session is handed to recovery. */
  onDetach: ((why: string) => void) | null = null;
  /** When the state in memory was last known to be the stored one (the dialer sets it when it registers the session). */
  storedAt = Date.now();
  /** How long a failed write is retried before the call is handed to recovery. */
  protected writeRetryMs = DEFAULT_WRITE_RETRY_MS;

  constructor(deps: SessionDeps) {
    this.record = deps.record ?? ((t) => recordTransition(deps.pool, t));
    if (deps.writeRetryMs !== undefined) this.writeRetryMs = deps.writeRetryMs;
  }

  get ended(): boolean { return this.state === 'ended'; }
  /** No event queued or being handled: `state` is what the session last stored. */
  get idle(): boolean { return this.pending === 0; }

  /** Handles one event; called only from the queue. */
  protected abstract handle(event: E): Promise<void>;
  /** The event that ends the call after an internal error. */
  protected abstract abort(reason: string): E;

  /** Queues an event that only applies if the call is still in `state` when its turn comes (reconciliation). */
  dispatchIf(state: S, event: E): Promise<void> {
    return this.dispatch(event, state);
  }

  /** Queues an event; events are handled strictly one after another. */
  dispatch(event: E, onlyIn?: S): Promise<void> {
    this.pending++;
    this.chain = this.chain
      .then(() => (!this.detached && (onlyIn === undefined || this.state === onlyIn) ? this.handle(event) : undefined))
      .catch((err) => {
        if (err instanceof HandedToRecovery) return this.detach(err.message);
        // Asterisk failing a step is an operational fault (logged as such), ours otherwise; either way the call
        // ends with the cause recorded, never as the visitor's doing.
        if (err instanceof AsteriskFailure) this.log.warn({ err: err.message, event: event.type }, 'Asterisk failed a call step; ending the call');
        else this.log.error({ err, event: event.type }, 'call session error; ending the call');
        if (this.ended || this.detached) return;
        return this.handle(this.abort(failureReason(err))).catch((e: Error) => {
          // The end could not be stored: only recovery can settle the call now.
          if (!this.ended) this.detach(`the call could not be ended: ${e.message}`);
        });
      })
      .finally(() => { this.pending--; });
    return this.chain;
  }

  /**
   * Stores a transition: a write that fails for a reason that may pass (connection lost, server restarting, a
   * statement killed) is tried again with back-off; past `writeRetryMs` the call goes to recovery.
   */
  protected async durably(write: () => Promise<void>): Promise<void> {
    try {
      await retryTransient(write, {
        boundMs: this.writeRetryMs, stop: () => this.detached,
        onRetry: (err, retryInMs) => this.log.warn({ err: err.message, retryInMs }, 'call state not stored; retrying'),
      });
      this.storedAt = Date.now();
    } catch (err) {
      if (err instanceof StillFailing) throw new HandedToRecovery(`call state not stored: ${err.message}`);
      throw err;
    }
  }

  /**
   * Performs a step's effects in order, each bounded (`bounded`). Short of the end, a party hanging up meanwhile
   * (a visitor hanging up while being answered) stops the step and answers false: its hangup event is on its way
   * and decides the outcome, and the rest of the step has nobody to act on; any other failure is thrown (the
   * session aborts). `done` follows each effect performed. Ending, every effect (hangups) is attempted and a
   * failure only logged, so the end is always reported, even when Asterisk is unreachable (restarting).
   */
  protected async performEffects<Fx extends { kind: string }>(
    effects: readonly Fx[], ending: boolean, perform: (effect: Fx) => Promise<void>, done?: (effect: Fx) => void,
  ): Promise<boolean> {
    for (const effect of effects) {
      const run = this.bounded(effect.kind, () => perform(effect));
      if (ending) {
        await run.catch((err) => this.log.warn({ err: (err as Error).message, effect: effect.kind }, 'could not clean up after the call'));
        continue;
      }
      try {
        await run;
      } catch (err) {
        if (err instanceof LegGone) { this.log.info({ effect: effect.kind, err: err.message }, 'a party hung up during a call step'); return false; }
        throw err;
      }
      done?.(effect);
    }
    return true;
  }

  /**
   * A REST request caught on a socket that Asterisk closes (restart) may never be answered; an effect that
   * takes longer than EFFECT_TIMEOUT_MS fails, so the call ends instead of waiting for ever.
   */
  protected bounded(kind: string, run: () => Promise<void>): Promise<void> {
    return withDeadline(run(), EFFECT_TIMEOUT_MS, () => new Error(`no answer from Asterisk within ${EFFECT_TIMEOUT_MS} ms`))
      .catch((err) => { throw effectError(kind, err); });
  }

  /** Stops handling this call here and hands it to recovery (see the class comment). */
  detach(why: string): void {
    if (this.detached) return;
    this.detached = true;
    this.clearTimers();
    this.log.error({ why, state: this.state }, 'call handed to recovery');
    this.onDetach?.(why);
  }

  /**
   * Places a leg (originate-leg.ts); true once Asterisk accepted it. Refused, `refused(status)` (0 when Asterisk gave
   * no status) names the event that is queued: the state machine decides what a leg that never rang means.
   */
  protected async placeLeg(port: TelephonyPort, leg: LegToPlace, call: LegCall, refused: (status: number) => E): Promise<boolean> {
    const status = await originateLeg(port, this.log, leg, call);
    if (status === null) return true;
    void this.dispatch(refused(status));
    return false;
  }

  /** Dispatches `event` after `ms` unless the call has ended by then. */
  protected timer(ms: number, event: E): void {
    const t = setTimeout(() => void this.dispatch(event), ms);
    t.unref();
    this.timers.push(t);
  }

  protected clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}
