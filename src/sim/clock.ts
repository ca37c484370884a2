import type { Channel } from './model.ts';

/**
 * The exchange's timers, every delay multiplied by the time scale. A channel's timers die with it: none fires
 * once the channel is destroyed, and destroying it clears them all.
 */
export class Clock {
  constructor(private readonly timeScale: number) {}

  scaled(ms: number): number {
    return ms * this.timeScale;
  }

  /** `fn` in `ms` (unscaled), unless the channel is destroyed by then. */
  after(ch: Channel, ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      ch.timers.delete(t);
      if (!ch.destroyed) fn();
    }, this.scaled(ms));
    ch.timers.add(t);
    return t;
  }

  /** A timer not tied to a channel (playbacks keep their own). */
  timeout(ms: number, fn: () => void): NodeJS.Timeout {
    return setTimeout(fn, this.scaled(ms));
  }

  cancel(ch: Channel, t: NodeJS.Timeout): void {
    clearTimeout(t);
    ch.timers.delete(t);
  }

  cancelAll(ch: Channel): void {
    for (const t of ch.timers) clearTimeout(t);
    ch.timers.clear();
  }
}
