import type { Pool } from '../platform/db/pool.ts';
import { findSubscriberBySlug, listDepartments } from './subscriber.repository.ts';
import type { Department, Subscriber } from './subscriber.types.ts';
import type { AgentCoverage } from './offerable.ts';

/** A subscriber, its departments and which of them agents can answer (src/subscribers/offerable.ts decides what visitors see). */
export interface SubscriberEntry { subscriber: Subscriber; departments: Department[]; agents: AgentCoverage }

/**
 * The accept path reads the same subscriber thousands of times a second; a short TTL keeps PostgreSQL out of
 * that loop. Changes (suspension, new department) take effect within TTL_MS, and `invalidate` makes the
 * process that made the change see it at once.
 */
export class SubscriberCache {
  private entries = new Map<string, { at: number; value: Promise<SubscriberEntry | null> }>();
  /** `coverage` reads which departments agents answer (the agents module owns that table; the wiring passes it). */
  constructor(
    private readonly pool: Pool,
    private readonly coverage: (db: Pool, subscriberId: string) => Promise<AgentCoverage>,
    private readonly ttlMs = 5000,
  ) {}

  get(slug: string): Promise<SubscriberEntry | null> {
    const now = Date.now();
    const hit = this.entries.get(slug);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = this.load(slug);
    this.entries.set(slug, { at: now, value });
    value.catch(() => this.entries.delete(slug));
    if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  invalidate(slug?: string): void {
    if (slug) this.entries.delete(slug); else this.entries.clear();
  }

  private async load(slug: string): Promise<SubscriberEntry | null> {
    const subscriber = await findSubscriberBySlug(this.pool, slug);
    if (!subscriber) return null;
    const [departments, agents] = await Promise.all([listDepartments(this.pool, subscriber.id), this.coverage(this.pool, subscriber.id)]);
    return { subscriber, departments, agents };
  }
}
