import { countLiveAttempts } from '../calls/attempt.repository.ts';
import type { Redis } from 'ioredis';
import type { Pool } from '../platform/db/pool.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import { readHeartbeats, type WorkerBeat } from '../observability/worker-heartbeat.ts';
import type { AriHttp } from '../telephony/ari-http.ts';

export interface Check { name: string; ok: boolean; detail: string }

export interface SystemStatus {
  checks: Check[];
  queue: Record<string, number>;
  workers: Array<WorkerBeat & { stale: boolean }>;
  asterisk: { ok: boolean; info: Record<string, unknown> | null; error?: string };
  endpoints: Array<{ resource: string; state: string; channels: number; trunk: boolean }>;
  activeCalls: number;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: string; ms: number }> {
  const t0 = Date.now();
  try { return { ok: true, value: await fn(), ms: Date.now() - t0 }; } catch (err) { return { ok: false, error: (err as Error).message, ms: Date.now() - t0 }; }
}

/**
 * The console's health page: PostgreSQL, Redis, the queue, every worker's heartbeat (its ARI and AMI
 * sessions and the peer states AMI reported), and what ARI says about the Asterisk node and its endpoints.
 */
export async function systemStatus(d: { pool: Pool; redis: Redis; queue: CallbackQueue; prefix: string; ari: AriHttp; trunkEndpoint: string }): Promise<SystemStatus> {
  const ari = async (path: string) => {
    const r = await d.ari.get(path, 2000);
    if (r.status < 200 || r.status > 299) throw new Error(`ARI ${path} answered ${r.status}`);
    if (typeof r.body !== 'object' || r.body === null) throw new Error(`ARI ${path} answered no JSON`);
    return r.body;
  };
  const trunk = /@([^/]+)$/.exec(d.trunkEndpoint.replace('{number}', 'x'))?.[1] ?? null;
  const [pg, redis, counts, workers, info, endpoints, active] = await Promise.all([
    timed(() => d.pool.query('SELECT 1')),
    timed(() => d.redis.ping()),
    timed(() => d.queue.queue.getJobCounts()),
    timed(() => readHeartbeats(d.redis, d.prefix)),
    timed(() => ari('/asterisk/info')),
    timed(() => ari('/endpoints')),
    timed(() => countLiveAttempts(d.pool)),
  ]);
  const workerList = workers.ok ? workers.value : [];
  const checks: Check[] = [
    { name: 'PostgreSQL', ok: pg.ok, detail: pg.ok ? `${pg.ms} ms` : pg.error },
    { name: 'Redis', ok: redis.ok, detail: redis.ok ? `${redis.ms} ms` : redis.error },
    { name: 'Asterisk (ARI)', ok: info.ok, detail: info.ok ? `${info.ms} ms` : info.error },
    { name: 'Workers', ok: workerList.some((w) => !w.stale), detail: `${workerList.filter((w) => !w.stale).length} live, ${workerList.filter((w) => w.stale).length} stale` },
    { name: 'AMI sessions', ok: workerList.some((w) => !w.stale && w.ami.connected), detail: workerList.map((w) => `${w.workerId}: ${w.ami.connected ? 'up' : 'down'}`).join(', ') || 'no worker' },
  ];
  return {
    checks,
    queue: counts.ok ? Object.fromEntries(Object.entries(counts.value).map(([k, v]) => [k, Number(v)])) : {},
    workers: workerList,
    asterisk: info.ok ? { ok: true, info: info.value as Record<string, unknown> } : { ok: false, info: null, error: info.error },
    endpoints: endpoints.ok
      ? (endpoints.value as Array<{ technology: string; resource: string; state: string; channel_ids?: string[] }>).map((e) => ({
        resource: `${e.technology}/${e.resource}`, state: e.state, channels: e.channel_ids?.length ?? 0, trunk: e.resource === trunk,
      })).sort((a, b) => Number(b.trunk) - Number(a.trunk) || a.resource.localeCompare(b.resource))
      : [],
    activeCalls: active.ok ? active.value : 0,
  };
}
