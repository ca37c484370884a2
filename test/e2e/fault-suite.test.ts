import test, { type ExecutionContext } from 'ava';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { startStack, request, FINAL, type Stack } from '../helpers/stack.ts';
import { startPrivateRedis } from '../helpers/private-redis.ts';
import { killLeft, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';
import { mergeSettings } from '../helpers/subscribers.ts';
import { until } from '../helpers/wait-for.ts';

/**
 * The fault suite: web + simulator in this process, two workers as their own processes, a Redis of the
 * suite's own, the stack's own database. Each scenario posts a modest load (12 requests, the simulator's
 * usual mix of phones: answering, busy, no answer, rejecting, answering machines, short calls), injects one
 * fault while calls are in flight, lets things settle, and checks what must hold after any fault:
 *   - every request that got a 202 reaches a final state (or is scheduled for later, legitimately);
 *   - no attempt stays in flight past RING_TIMEOUT + CONFIRM_WAIT_MS + MAX_CALL_SEC + a margin;
 *   - no retry is dialed before its back-off;
 *   - nobody is dialed twice (each attempt's visitor leg originated once; attempts of a request never overlap);
 *   - no call is taken over while the worker that owns it lives.
 */

const RING_TIMEOUT_SEC = 5;
const CONFIRM_WAIT_MS = 1500;
const MAX_CALL_SEC = 10;
/** Covers a worker restart on a loaded machine (process start, reconnects) and the takeover delay. */
const MARGIN_MS = 45_000;
const IN_FLIGHT_BOUND_MS = RING_TIMEOUT_SEC * 1000 + CONFIRM_WAIT_MS + MAX_CALL_SEC * 1000 + MARGIN_MS;
const BACKOFF_SEC = 2;
/** Timer and clock slack allowed on a back-off (the dial itself happens after the due time, never before). */
const EARLY_SLACK_MS = 300;
const SETTLE_MS = 75_000;

let s: Stack;
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
const children = new Set<ChildProcess>();
const workers = new Map<string, WorkerProcess>();
/** When each worker id was down (killed, until a worker of that id had started again): only then may its calls be taken over. */
const downtimes = new Map<string, { from: number; to: number | null }[]>();
const wasDown = (id: string, at: number) => (downtimes.get(id) ?? []).some((d) => at >= d.from && at <= (d.to ?? Infinity) + 1000);
async function killWorker(id: string): Promise<void> {
  await workers.get(id)!.kill('SIGKILL');
  workers.delete(id);
  downtimes.set(id, [...(downtimes.get(id) ?? []), { from: Date.now(), to: null }]);
}
async function restartWorker(id: string): Promise<void> {
  workers.set(id, await startWorker(id));
  const last = downtimes.get(id)?.at(-1);
  if (last && last.to === null) last.to = Date.now();
}
let workerEnv: Record<string, string>;

test.before(async () => {
  redis = await startPrivateRedis();
  s = await startStack({
    label: 'faultsuite', worker: false,
    env: { REDIS_URL: redis.url, RING_TIMEOUT: String(RING_TIMEOUT_SEC), CONFIRM_WAIT_MS: String(CONFIRM_WAIT_MS), MAX_CALL_SEC: String(MAX_CALL_SEC) },
  });
  const backoff = Object.fromEntries(['busy', 'no_answer', 'no_human', 'failed', 'callee_unanswered'].map((o) => [o, BACKOFF_SEC]));
  await mergeSettings(s, { retry: { maxAttempts: 3, backoffSec: backoff, backoffFactor: 1 } });
  workerEnv = {
    ...s.env, TAKEOVER_AFTER_SEC: '3', TAKEOVER_INTERVAL_MS: '500', RECONCILE_INTERVAL_MS: '3000',
    SCHEDULE_RECOVERY_INTERVAL_MS: '2000', SCHEDULE_RECOVERY_GRACE_MS: '3000', SHUTDOWN_GRACE_SEC: '2',
  };
  const [a, b] = await Promise.all([startWorker('fault-a'), startWorker('fault-b')]);
  workers.set('fault-a', a);
  workers.set('fault-b', b);
});
test.after.always(async () => {
  await Promise.all([...workers.values()].map((w) => w.kill('SIGTERM')));
  killLeft(children);
  await s?.close();
  await redis?.stop();
});

const startWorker = (id: string) => startWorkerProcess({ ...workerEnv, WORKER_ID: id }, children);

/** 12 requests on numbers of their own (last digits pick the simulated phone's behaviour), all accepted. */
async function load(t: ExecutionContext, block: number): Promise<string[]> {
  const phones = Array.from({ length: 12 }, (_, i) => `+1 202 555 ${String(block * 100 + 20 + i).padStart(4, '0')}`);
  const answers = await Promise.all(phones.map((p) => request(s.base, p)));
  for (const r of answers) t.is(r.status, 202, r.text);
  return answers.filter((r) => r.status === 202).map((r) => r.json.id);
}

/** Waits until calls of the load are in flight (some ringing, some answered). */
async function inFlight(ids: string[]): Promise<void> {
  await until(async () => {
    const { rows } = await s.c.pool.query(
      `SELECT count(*)::int AS n FROM call_attempts WHERE request_id = ANY($1::uuid[]) AND ended_at IS NULL`, [ids]).catch(() => ({ rows: [{ n: 0 }] }));
    return rows[0].n >= 4;
  }, 20_000);
}

const settled = async (ids: string[]) => {
  const { rows } = await s.c.pool.query(
    `SELECT count(*)::int AS n FROM callback_requests WHERE id = ANY($1::uuid[])
        AND NOT (status IN ('completed', 'failed', 'expired', 'canceled') OR (status IN ('queued', 'scheduled') AND next_attempt_at > now() + interval '30 seconds'))`,
    [ids]).catch(() => ({ rows: [{ n: -1 }] }));
  return rows[0].n === 0;
};

/** The properties every fault must leave intact. */
async function checkAfterSettling(t: ExecutionContext, ids: string[]): Promise<void> {
  await until(() => settled(ids), SETTLE_MS, 250);
  const { rows: reqs } = await s.c.pool.query(`SELECT id, status, next_attempt_at FROM callback_requests WHERE id = ANY($1::uuid[])`, [ids]);
  for (const r of reqs) {
    t.true(FINAL.has(r.status) || (['queued', 'scheduled'].includes(r.status) && r.next_attempt_at > new Date()),
      `request ${r.id} reached a final state or is scheduled for later (is ${r.status})`);
  }
  const { rows: attempts } = await s.c.pool.query(
    `SELECT id, request_id, n, worker_id, started_at, ended_at, outcome, cause_txt,
            (extract(epoch FROM coalesce(ended_at, now()) - started_at) * 1000)::float8 AS lasted_ms
       FROM call_attempts WHERE request_id = ANY($1::uuid[]) ORDER BY request_id, n`, [ids]);
  const originates = s.sim.originates();
  const byRequest = new Map<string, typeof attempts>();
  for (const a of attempts) byRequest.set(a.request_id, [...(byRequest.get(a.request_id) ?? []), a]);
  for (const a of attempts) {
    t.true(a.lasted_ms <= IN_FLIGHT_BOUND_MS, `attempt ${a.id} in flight ${Math.round(a.lasted_ms)} ms (bound ${IN_FLIGHT_BOUND_MS} ms)`);
    const dials = originates.filter((o) => o.channelId === `bk-v-${a.id}`);
    t.true(dials.length <= 1, `attempt ${a.id}: visitor leg originated ${dials.length} times`);
    const taken = /worker (\S+) sent no heartbeat/.exec(a.cause_txt ?? '');
    if (taken) t.true(wasDown(taken[1], a.ended_at?.getTime() ?? Date.now()), `attempt ${a.id} was taken over from ${taken[1]} while it was alive`);
  }
  for (const [id, list] of byRequest) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      const next = list[i];
      t.truthy(prev.ended_at, `request ${id}: attempt ${prev.n} ended before attempt ${next.n} began`);
      if (!prev.ended_at) continue;
      t.true(next.started_at.getTime() >= prev.ended_at.getTime(), `request ${id}: attempts ${prev.n} and ${next.n} overlap`);
      const dial = originates.find((o) => o.channelId === `bk-v-${next.id}`);
      const dialAt = dial?.at ?? next.started_at.getTime();
      const gap = dialAt - prev.ended_at.getTime();
      t.true(gap >= BACKOFF_SEC * 1000 - EARLY_SLACK_MS, `request ${id}: attempt ${next.n} dialed ${gap} ms after attempt ${prev.n} ended (${prev.outcome}); back-off ${BACKOFF_SEC} s`);
    }
  }
}

test.serial('worker kill -9, restarted under the same id', async (t) => {
  const ids = await load(t, 1);
  await inFlight(ids);
  await killWorker('fault-a');
  // Restarting may take longer than the takeover delay here: the other worker may then take the calls over.
  await restartWorker('fault-a');
  await checkAfterSettling(t, ids);
});

test.serial('worker kill -9, replaced by a worker with a new id (takeover)', async (t) => {
  const ids = await load(t, 2);
  await inFlight(ids);
  await killWorker('fault-a');
  await restartWorker('fault-c');
  await checkAfterSettling(t, ids);
  const { rows } = await s.c.pool.query(`SELECT count(*)::int AS n FROM call_attempts WHERE worker_id = 'fault-a' AND ended_at IS NULL`);
  t.is(rows[0].n, 0, 'nothing left in flight under the dead worker');
});

test.serial('Redis restarted without persistence', async (t) => {
  const ids = await load(t, 3);
  await inFlight(ids);
  await redis.stop();
  await redis.start();
  await checkAfterSettling(t, ids);
});

test.serial('Redis outage', async (t) => {
  const ids = await load(t, 4);
  await inFlight(ids);
  await redis.stop();
  // Requests accepted while Redis is down go through the outbox.
  const during = await load(t, 5);
  await new Promise((r) => setTimeout(r, 5000));
  await redis.start();
  await checkAfterSettling(t, [...ids, ...during]);
});

test.serial('PostgreSQL outage (the stack\'s database refuses connections and its sessions are ended)', async (t) => {
  const ids = await load(t, 6);
  await inFlight(ids);
  const dbName = decodeURIComponent(new URL(s.dbUrl).pathname.slice(1));
  const admin = new URL(s.dbUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`ALTER DATABASE "${dbName.replace(/"/g, '""')}" ALLOW_CONNECTIONS false`);
    await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
    // Longer than the takeover delay: every heartbeat is old when PostgreSQL returns.
    await new Promise((r) => setTimeout(r, 5000));
  } finally {
    await client.query(`ALTER DATABASE "${dbName.replace(/"/g, '""')}" ALLOW_CONNECTIONS true`);
    await client.end();
  }
  await checkAfterSettling(t, ids);
});

test.serial('Asterisk crash and restart', async (t) => {
  const ids = await load(t, 7);
  await inFlight(ids);
  await s.sim.restart(1500);
  await checkAfterSettling(t, ids);
});
