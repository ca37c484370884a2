import { countLiveAttempts } from '../calls/attempt.repository.ts';
import type { Redis } from 'ioredis';
import type { Pool } from '../platform/db/pool.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import { readHeartbeats, type WorkerBeat } from '../observability/worker-heartbeat.ts';
import { workersByNode } from '../calls/upkeep/worker-liveness.ts';
import type { AriHttp } from '../telephony/ari-http.ts';

export interface Check { name: string; ok: boolean; detail: string }

export interface SystemStatus {
  checks: Check[];
  queue: Record<string, number>;
  workers: Array<WorkerBeat & { stale: boolean }>;
  /** Every Asterisk node with the workers that serve it (see asteriskNodes). */
  nodes: AsteriskNode[];
  asterisk: { ok: boolean; info: Record<string, unknown> | null; error?: string };
  endpoints: Array<{ resource: string; state: string; channels: number; trunk: boolean }>;
  activeCalls: number;
}

export interface AsteriskNode {
  node: string;
  workers: Array<{ workerId: string; beatAgeSec: number; live: boolean; ari: 'up' | 'down' | 'unknown' }>;
  /** Workers of the node that beat lately and whose ARI socket is up: the ones taking its jobs. */
  taking: number;
}

/** Workers silent longer than this are shown as stale; after a day they are no longer listed. */
const NODE_LIVE_MS = 20_000;
const NODE_FORGET_MS = 86_400_000;

/**
 * The nodes as their workers report them: liveness rows in PostgreSQL (the node each worker serves) joined with
 * the Redis heartbeats (whether its ARI socket is up). Pure.
 */
export function asteriskNodes(rows: ReadonlyArray<{ node: string; workerId: string; ageMs: number }>, beats: ReadonlyArray<WorkerBeat & { stale: boolean }>): AsteriskNode[] {
  const beatOf = new Map(beats.map((b) => [b.workerId, b]));
  const nodes = new Map<string, AsteriskNode>();
  for (const r of rows) {
    if (r.ageMs > NODE_FORGET_MS) continue;
    const n = nodes.get(r.node) ?? { node: r.node, workers: [], taking: 0 };
    const b = beatOf.get(r.workerId);
    const live = r.ageMs <= NODE_LIVE_MS;
    const ari = !b || b.stale ? 'unknown' : b.ari.connected ? 'up' : 'down';
    n.workers.push({ workerId: r.workerId, beatAgeSec: Math.round(r.ageMs / 1000), live, ari });
    if (live && ari === 'up') n.taking++;
    nodes.set(r.node, n);
  }
  return [...nodes.values()];
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
  const [pg, redis, counts, workers, info, endpoints, active, liveness] = await Promise.all([
    timed(() => d.pool.query('SELECT 1')),
    timed(() => d.redis.ping()),
    timed(() => d.queue.queue.getJobCounts()),
    timed(() => readHeartbeats(d.redis, d.prefix)),
    timed(() => ari('/asterisk/info')),
    timed(() => ari('/endpoints')),
    timed(() => countLiveAttempts(d.pool)),
    timed(() => workersByNode(d.pool)),
  ]);
  const workerList = workers.ok ? workers.value : [];
  const nodes = asteriskNodes(liveness.ok ? liveness.value : [], workerList);
  const checks: Check[] = [
    { name: 'PostgreSQL', ok: pg.ok, detail: pg.ok ? `${pg.ms} ms` : pg.error },
    { name: 'Redis', ok: redis.ok, detail: redis.ok ? `${redis.ms} ms` : redis.error },
    { name: 'Asterisk (ARI)', ok: info.ok, detail: info.ok ? `${info.ms} ms` : info.error },
    { name: 'Workers', ok: workerList.some((w) => !w.stale), detail: `${workerList.filter((w) => !w.stale).length} live, ${workerList.filter((w) => w.stale).length} stale` },
    {
      name: 'Asterisk nodes', ok: nodes.length > 0 && nodes.every((n) => n.taking > 0),
      detail: nodes.map((n) => `${n.node}: ${n.taking} of ${n.workers.length} workers taking jobs`).join(', ') || 'no worker',
    },
    { name: 'AMI sessions', ok: workerList.some((w) => !w.stale && w.ami.connected), detail: workerList.map((w) => `${w.workerId}: ${w.ami.connected ? 'up' : 'down'}`).join(', ') || 'no worker' },
  ];
  return {
    checks,
    queue: counts.ok ? Object.fromEntries(Object.entries(counts.value).map(([k, v]) => [k, Number(v)])) : {},
    workers: workerList,
    nodes,
    asterisk: info.ok ? { ok: true, info: info.value as Record<string, unknown> } : { ok: false, info: null, error: info.error },
    endpoints: endpoints.ok
      ? (endpoints.value as Array<{ technology: string; resource: string; state: string; channel_ids?: string[] }>).map((e) => ({
        resource: `${e.technology}/${e.resource}`, state: e.state, channels: e.channel_ids?.length ?? 0, trunk: e.resource === trunk,
      })).sort((a, b) => Number(b.trunk) - Number(a.trunk) || a.resource.localeCompare(b.resource))
      : [],
    activeCalls: active.ok ? active.value : 0,
  };
}
