import type { Logger } from '../../platform/logger.ts';
import type { Pool } from '../../platform/db/pool.ts';
import type { TelephonyPort } from '../../telephony/telephony-port.ts';
import { beatAges, workersByNode, type Liveness } from './worker-liveness.ts';
import { listWorkersWithLiveAttempts, transferLiveAttempts } from '../attempt.repository.ts';
import { periodic } from '../../platform/periodic.ts';
import { adoptOrphans, type OrphanHome } from './orphan-adoption.ts';

/**
 * Takeover of calls left by a worker that is gone for good (its host replaced, its WORKER_ID changed): without
 * it their requests would stay `dialing` forever, since only a worker of the same id re-adopts calls
 * (recovery.ts). Every worker checks now and then for workers with attempts in flight and no heartbeat in
 * PostgreSQL (worker-liveness.ts) for `afterMs`. Liveness is never read from Redis: Redis losing its data
 * (a restart without persistence) would make every living worker look dead. And a worker judges others only
 * after it has itself been beating without a gap for `afterMs`: after a PostgreSQL outage every beat is old,
 * and the living workers get a full delay to write theirs. It moves a dead worker's attempts to itself in one statement, so
 * two workers never take the same attempt, and ends each as `lost`: legs still up are hung up, the bridge is
 * destroyed, and the retry policy decides (a call already connected counts as answered). Connected calls are
 * hung up too: no worker sees their events any more (they go to the dead worker's Stasis app), so nothing
 * would end them at MAX_CALL_SEC or record how they ended; and the takeover waits long enough (default 2 min)
 * that a restarting worker gets there first.
 */

/**
 * Workers whose calls are to be taken over: no heartbeat for `afterMs` (or none on record, for calls that
 * old), and only once this worker has watched for `afterMs` itself (`watchedMs`), else nobody is.
 */
export function deadWorkers(
  live: readonly { workerId: string; oldestStartedAt: Date }[],
  beatAgeMs: ReadonlyMap<string, number>,
  now: number,
  afterMs: number,
  watchedMs: number,
): string[] {
  if (watchedMs < afterMs) return [];
  return live.filter((w) => (beatAgeMs.get(w.workerId) ?? now - w.oldestStartedAt.getTime()) > afterMs)
    .map((w) => w.workerId).sort();
}

/**
 * Whether a worker of node `myNode` takes over the calls of a gone worker of `goneNode`: only its own node's
 * Asterisk has those channels, so a worker of that node does it while one lives (`liveNodes`: nodes with a worker
 * beating within the takeover delay); a node with none left, or a worker whose node is not on record, is
 * taken over from any node (its calls then end as lost, which is what they are). Pure.
 */
export function takesOverFrom(goneNode: string | undefined, myNode: string, liveNodes: ReadonlySet<string>): boolean {
  return goneNode === undefined || goneNode === myNode || !liveNodes.has(goneNode);
}

export interface TakeoverDeps {
  pool: Pool; port: TelephonyPort; dialer: OrphanHome; workerId: string; log: Logger;
  /** The Asterisk node this worker serves (default 'default'). */
  node?: string;
  afterMs: number;
  /** This worker's own heartbeat (how long it has seen PostgreSQL without a gap). */
  liveness: Pick<Liveness, 'watchedMs'>;
}

/** One pass; returns how many attempts this worker took over. */
export async function takeOverOnce(d: TakeoverDeps): Promise<number> {
  const live = await listWorkersWithLiveAttempts(d.pool, d.workerId);
  if (live.length === 0) return 0;
  const ages = await beatAges(d.pool, live.map((w) => w.workerId));
  const dead = deadWorkers(live, ages, Date.now(), d.afterMs, d.liveness.watchedMs());
  if (dead.length === 0) return 0;
  const known = await workersByNode(d.pool);
  const nodeOf = new Map(known.map((w) => [w.workerId, w.node]));
  const liveNodes = new Set(known.filter((w) => w.ageMs <= d.afterMs).map((w) => w.node));
  let taken = 0;
  for (const gone of dead) {
    if (!takesOverFrom(nodeOf.get(gone), d.node ?? 'default', liveNodes)) continue;
    const attempts = await transferLiveAttempts(d.pool, gone, d.workerId);
    if (attempts.length === 0) continue;
    const channels = new Map((await d.port.listChannels()).map((c) => [c.id, c.state]));
    const reason = `worker ${gone} sent no heartbeat for ${Math.round(d.afterMs / 1000)} s; its calls were taken over by ${d.workerId}`;
    d.log.warn({ from: gone, attempts: attempts.length }, 'taking over the calls of a worker that is gone');
    // Every call of a dead worker ends as lost (see above), whatever its legs; an agent-first one is ended by resume.
    const adopted = await adoptOrphans(d.dialer, attempts, channels, () => ({ action: 'lost', reason }));
    await Promise.all(adopted.map((a) => a.corrected));
    taken += adopted.length;
  }
  return taken;
}

/** Runs a takeover pass every `intervalMs` (none when `afterMs` is 0: takeover is off). */
export function startTakeover(d: TakeoverDeps & { intervalMs: number }): { stop(): void; runOnce(): Promise<number> } {
  if (d.afterMs <= 0) return { stop() {}, runOnce: async () => 0 };
  const loop = periodic({
    name: 'takeover', intervalMs: d.intervalMs, log: d.log, idle: 0, run: () => takeOverOnce(d),
    failMessage: 'takeover check failed; next pass retries',
  });
  return { stop: () => loop.stop(), runOnce: () => loop.runOnce() };
}
