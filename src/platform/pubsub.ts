import type { Redis } from 'ioredis';
import { createRedis, type RedisTarget } from './redis.ts';

export interface PubSubOptions {
  /**
   * Close the subscriber connection when the last handler goes (an open one would keep the process alive):
   * for processes that subscribe now and then, not for ones that always hold subscriptions.
   */
  releaseWhenIdle?: boolean;
}

/**
 * JSON messages over Redis pub/sub. Publishing uses the process's shared command connection and is skipped
 * while it is not ready; subscribing opens one connection of its own on first use (a subscribed connection
 * can run no other command), which queues and retries while Redis is away. Best effort by design: every
 * message is a hint whose truth is in PostgreSQL, so a lost or malformed message is dropped, never thrown.
 */
export class PubSub {
  private sub: Redis | null = null;
  private readonly handlers = new Map<string, Set<(message: unknown) => void>>();

  constructor(private readonly pub: Redis, private readonly redisUrl: RedisTarget, private readonly o: PubSubOptions = {}) {}

  /** Resolves to how many subscribers received it (0 = nobody listening, or Redis unavailable). */
  async publish(channel: string, message: unknown): Promise<number> {
    if (this.pub.status !== 'ready') return 0;
    return this.pub.publish(channel, JSON.stringify(message)).catch(() => 0);
  }

  /** Calls `fn` with every message on `channel`; resolves to a function that unsubscribes it. */
  async subscribe<T>(channel: string, fn: (message: T) => void): Promise<() => void> {
    const handler = fn as (message: unknown) => void;
    const sub = this.sub ?? this.openSubscriber();
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await sub.subscribe(channel).catch(() => {});
    }
    set.add(handler);
    return () => this.unsubscribe(channel, handler);
  }

  close(): void { this.sub?.disconnect(); this.sub = null; this.handlers.clear(); }

  private openSubscriber(): Redis {
    const sub = createRedis(this.redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    sub.on('message', (channel: string, raw: string) => {
      const set = this.handlers.get(channel);
      if (!set) return;
      let message: unknown;
      try { message = JSON.parse(raw); } catch { return; }
      for (const h of set) h(message);
    });
    this.sub = sub;
    return sub;
  }

  private unsubscribe(channel: string, handler: (message: unknown) => void): void {
    const set = this.handlers.get(channel);
    if (!set) return;
    set.delete(handler);
    if (set.size === 0) {
      this.handlers.delete(channel);
      this.sub?.unsubscribe(channel).catch(() => {});
    }
    if (this.o.releaseWhenIdle && this.handlers.size === 0 && this.sub) { this.sub.disconnect(); this.sub = null; }
  }
}
