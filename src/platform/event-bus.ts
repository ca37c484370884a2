import type { Redis } from 'ioredis';
import { PubSub } from './pubsub.ts';
import type { RedisTarget } from './redis.ts';
import { redisKeys, type RedisKeys } from './redis-keys.ts';

export interface RequestEvent {
  type: 'request.status' | 'attempt.updated';
  requestId: string;
  status?: string;
  reason?: string | null;
  phase?: string;
  at: string;
}

/**
 * Live status events (for SSE and consoles) over Redis pub/sub, one channel per request. Best effort by design:
 * the truth is in PostgreSQL, and a client that misses an event reloads the status from there.
 */
export class EventBus {
  private readonly pubsub: PubSub;
  private readonly keys: RedisKeys;

  constructor(pub: Redis, redisUrl: RedisTarget, prefix: string) {
    this.pubsub = new PubSub(pub, redisUrl);
    this.keys = redisKeys(prefix);
  }

  async publish(event: RequestEvent): Promise<void> { await this.pubsub.publish(this.keys.requestEvents(event.requestId), event); }

  /** Returns an unsubscribe function. */
  subscribe(requestId: string, fn: (e: RequestEvent) => void): Promise<() => void> { return this.pubsub.subscribe(this.keys.requestEvents(requestId), fn); }

  close(): void { this.pubsub.close(); }
}
