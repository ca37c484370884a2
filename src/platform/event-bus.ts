import type { Redis } from 'ioredis';
import { createRedis } from './redis.ts';

export interface RequestEvent {
  type: 'request.status' | 'attempt.updated';
  requestId: string;
  status?: string;
  reason?: string | null;
  attempt?: number;
  outcome?: string | null;
  phase?: string;
  at: string;
}

/**
 * Live status events (for SSE and consoles) over Redis pub/sub. Best effort by design: the truth is in
 * PostgreSQL, and a client that misses an event reloads the status from there.
 */
export class EventBus {
  private sub: Redis | null = null;
  private listeners = new Map<string, Set<(e: RequestEvent) => void>>();

  constructor(private readonly pub: Redis, private readonly redisUrl: string, private readonly prefix: string) {}

  channel(requestId: string): string { return `${this.prefix}:events:request:${requestId}`; }

  async publish(event: RequestEvent): Promise<void> {
    if (this.pub.status !== 'ready') return;
    await this.pub.publish(this.channel(event.requestId), JSON.stringify(event)).catch(() => {});
  }

  /** Returns an unsubscribe function. */
  async subscribe(requestId: string, fn: (e: RequestEvent) => void): Promise<() => void> {
    if (!this.sub) {
      this.sub = createRedis(this.redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null });
      this.sub.on('message', (channel: string, message: string) => {
        const id = channel.slice(channel.lastIndexOf(':') + 1);
        const set = this.listeners.get(id);
        if (!set) return;
        let event: RequestEvent;
        try { event = JSON.parse(message); } catch { return; }
        for (const l of set) l(event);
      });
    }
    let set = this.listeners.get(requestId);
    if (!set) {
      set = new Set();
      this.listeners.set(requestId, set);
      await this.sub.subscribe(this.channel(requestId)).catch(() => {});
    }
    set.add(fn);
    return () => {
      const s = this.listeners.get(requestId);
      if (!s) return;
      s.delete(fn);
      if (s.size === 0) {
        this.listeners.delete(requestId);
        this.sub?.unsubscribe(this.channel(requestId)).catch(() => {});
      }
    };
  }

  close(): void { this.sub?.disconnect(); }
}
