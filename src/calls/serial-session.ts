import type { Logger } from '../logger.ts';

/**
 * What every call session shares (call-session.ts, agent-first-session.ts): events are handled strictly one
 * after another, in arrival order, however they arrive (ARI events, timers, console commands, recovery);
 * an error while handling one ends the call with an `abort` rather than leaving it half-way; timers feed
 * events into the same line and stop when the call ends.
 */
export abstract class SerialSession<S extends string, E extends { type: string }> {
  abstract state: S;
  abstract readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];

  get ended(): boolean { return this.state === 'ended'; }

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
    this.chain = this.chain.then(() => (onlyIn === undefined || this.state === onlyIn ? this.handle(event) : undefined)).catch((err) => {
      this.log.error({ err, event: event.type }, 'call session error; ending the call');
      if (!this.ended) return this.handle(this.abort('internal error')).catch(() => {});
    });
    return this.chain;
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
