import type { Redis } from 'ioredis';
import { createRedis } from '../platform/redis.ts';
import type { AgentCommand, AgentEvent } from './agent.types.ts';

/**
 * Redis pub/sub for the agent side: events to an agent's consoles (`<prefix>:events:agent:<id>`, any web
 * process) and commands from consoles to the worker that holds the agent's call (`<prefix>:agent-cmd:<worker>`).
 * Best effort like the request EventBus: the truth is in PostgreSQL and the console reloads it on every event.
 */
export class AgentChannels {
  private sub: Redis | null = null;
  private listeners = new Map<string, Set<(message: unknown) => void>>();

  constructor(private readonly pub: Redis, private readonly redisUrl: string, private readonly prefix: string) {}

  agentChannel(agentId: string): string { return `${this.prefix}:events:agent:${agentId}`; }
  commandChannel(workerId: string): string { return `${this.prefix}:agent-cmd:${workerId}`; }

  async publishToAgent(agentId: string, event: AgentEvent): Promise<void> { await this.publish(this.agentChannel(agentId), event); }
  async sendCommand(workerId: string, cmd: AgentCommand): Promise<boolean> { return (await this.publish(this.commandChannel(workerId), cmd)) > 0; }

  onAgent(agentId: string, fn: (e: AgentEvent) => void): Promise<() => void> { return this.subscribe(this.agentChannel(agentId), fn as (m: unknown) => void); }
  onCommand(workerId: string, fn: (c: AgentCommand) => void): Promise<() => void> { return this.subscribe(this.commandChannel(workerId), fn as (m: unknown) => void); }

  /** Returns how many subscribers received it (0 = nobody listening). */
  private async publish(channel: string, message: unknown): Promise<number> {
    if (this.pub.status !== 'ready') return 0;
    return this.pub.publish(channel, JSON.stringify(message)).catch(() => 0);
  }

  private async subscribe(channel: string, fn: (m: unknown) => void): Promise<() => void> {
    if (!this.sub) {
      this.sub = createRedis(this.redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null });
      this.sub.on('message', (ch: string, raw: string) => {
        const set = this.listeners.get(ch);
        if (!set) return;
        let m: unknown;
        try { m = JSON.parse(raw); } catch { return; }
        for (const l of set) l(m);
      });
    }
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.sub.subscribe(channel).catch(() => {});
    }
    set.add(fn);
    return () => {
      const s = this.listeners.get(channel);
      if (!s) return;
      s.delete(fn);
      if (s.size === 0) {
        this.listeners.delete(channel);
        this.sub?.unsubscribe(channel).catch(() => {});
      }
      // No console open on this process: drop the connection too (it would otherwise keep the process alive).
      if (this.listeners.size === 0 && this.sub) { this.sub.disconnect(); this.sub = null; }
    };
  }

  close(): void { this.sub?.disconnect(); this.sub = null; this.listeners.clear(); }
}
