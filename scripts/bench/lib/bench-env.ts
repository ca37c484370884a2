import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Pool } from '../../../src/platform/db/pool.ts';
import { createScratchDatabase } from '../../../src/platform/db/scratch-database.ts';
import { withDefaultUser } from '../../../src/platform/config.ts';
import { seedDemo } from '../../../src/demo/seed.ts';

const ADMIN_URL = withDefaultUser(process.env.BENCH_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://127.0.0.1:5432/postgres');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BenchDb { url: string; pool: Pool; drop(): Promise<void> }

/**
 * A fresh database for one scenario: migrated with the real migrations, the demo subscriber seeded, and one
 * attempt per request so that every outcome is final at once (the self-check waits for final states).
 */
export async function createBenchDb(label: string): Promise<BenchDb> {
  const db = await createScratchDatabase(ADMIN_URL, 'beckon_bench', label, 4);
  await seedDemo(db.pool);
  await db.pool.query(`UPDATE subscribers SET settings = settings || '{"retry": {"maxAttempts": 1}}'::jsonb WHERE slug = 'demo'`);
  return db;
}

export function benchRedisPrefix(label: string): string {
  return `beckon-bench-${label}-${randomBytes(3).toString('hex')}`;
}

/** Removes every key under the prefix (Bull queues, rate-limit counters) once a scenario is done. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * Environment for `beckon web` / `beckon worker` children. Rate limits and abuse guards are raised so they
 * do not refuse the load (they are measured as part of the accept path all the same: the checks still run).
 */
export function beckonEnv(o: { dbUrl: string; prefix: string; port?: number; ariUrl?: string; amiPort?: number; workerId?: string; extra?: Record<string, string> }): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: o.dbUrl,
    REDIS_URL,
    REDIS_PREFIX: o.prefix,
    HOST: '127.0.0.1',
    PORT: String(o.port ?? 0),
    PUBLIC_URL: `http://127.0.0.1:${o.port ?? 0}`,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    ARI_URL: o.ariUrl ?? 'http://127.0.0.1:1',
    AMI_PORT: String(o.amiPort ?? 1),
    WORKER_ID: o.workerId ?? `bench${process.pid}`,
    // web and worker refuse the shipped secret; the bench's are its own.
    SESSION_SECRET: BENCH_SESSION_SECRET,
    API_TOKEN: BENCH_API_TOKEN,
    ...RATE_LIMIT_ENV,
    ...o.extra,
  };
}

const BENCH_SESSION_SECRET = 'bench-session-secret-0123456789abcdef0123';
/**
 * The load posts as a server holding the API credential (one load generator cannot be a crowd of browsers, each
 * with a form token bound to its own address); every request still sends its own visitorId, so the per-visitor
 * limit runs, and the form token's HMAC check is the one accept step this leaves out.
 */
export const BENCH_API_TOKEN = 'bench-api-token-0123456789abcdef0123456789';
export const BENCH_AUTH = `Bearer ${BENCH_API_TOKEN}`;

/**
 * The abuse limits (src/platform/config.ts, src/policy/rate-limits.ts) stay switched on, so their Redis round trips are
 * part of what is measured; only their ceilings are raised, because every bench request comes from one IP
 * and goes to one subscriber. Per-number limits keep their defaults: the bench never repeats a number.
 */
export const RATE_LIMIT_ENV: Record<string, string> = {
  RATE_LIMITS_ENABLED: 'true',
  LIMIT_PER_IP: '1000000000/600',
  LIMIT_NUMBERS_PER_VISITOR: '1000000000/3600',
  LIMIT_PER_SUBSCRIBER_DAY: '1000000000',
};
