import type { Redis } from 'ioredis';
import { PubSub } from '../platform/pubsub.ts';
import type { RedisTarget } from '../platform/redis.ts';
import { redisKeys, type RedisKeys } from '../platform/redis-keys.ts';
import type { AgentCommand, AgentEvent } from './agent.types.ts';

/**
 * Redis pub/sub for the agent side: events to an agent's consoles (any web process) and commands from consoles
 * to the worker that holds the agent's call. Best effort like the request EventBus: the truth is in PostgreSQL
 * and the console reloads it on every event. A web process subscribes only while a console is open, so its
 * subscriber connection is released when the last one closes.
 */
export class AgentChannels {
  private readonly pubsub: PubSub;
  private readonly keys: RedisKeys;

  constructor(pub: Redis, redisUrl: RedisTarget, prefix: string) {
    this.pubsub = new PubSub(pub, redisUrl, { releaseWhenIdle: true });
    this.keys = redisKeys(prefix);
  }

  async publishToAgent(agentId: string, event: AgentEvent): Promise<void> { await this.pubsub.publish(this.keys.agentEvents(agentId), event); }
  /** False when no worker listens on that channel (the call's worker is gone). */
  async sendCommand(workerId: string, cmd: AgentCommand): Promise<boolean> { return (await this.pubsub.publish(this.keys.agentCommands(workerId), cmd)) > 0; }

  onAgent(agentId: string, fn: (e: AgentEvent) => void): Promise<() => void> { return this.pubsub.subscribe(this.keys.agentEvents(agentId), fn); }
  onCommand(workerId: string, fn: (c: AgentCommand) => void): Promise<() => void> { return this.pubsub.subscribe(this.keys.agentCommands(workerId), fn); }

  close(): void { this.pubsub.close(); }
}
