import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { BENCH_AUTH, beckonEnv, benchRedisPrefix, createBenchDb, dropRedisPrefix, REDIS_URL } from '../lib/bench-env.ts';
import { countLogProblems, freePort, spawnNode, waitForLog, type Child } from '../lib/children.ts';
import { callbackBody } from '../lib/load.ts';
import type { PhoneSequence } from '../lib/phones.ts';
import { pgCpuPerUnit, pgMark } from '../lib/pg-stats.ts';
import { sampleProcess } from '../lib/proc-stats.ts';
import { checkAccept } from '../lib/self-check.ts';
import { median } from '../lib/stats.ts';
import type { BenchContext } from '../lib/context.ts';

/**
 * cpuMsPerReq: CPU time the server process spent per answered request (user + system, from /proc);
 * pgCpuMsPerReq: PostgreSQL server CPU per request (Beckon only).
 */
export interface AcceptRun { rps: number; p50: number; p99: number; ok: number; cpuMsPerReq: number; pgCpuMsPerReq: number }
export interface AcceptResult {
  connections: number;
  durationSec: number;
  beckon: AcceptRun[];
  bare: AcceptRun[];
  median: { beckon: AcceptRun; bare: AcceptRun };
  problems: string[];
  logProblems: string;
}

export async function cannon(url: string, phones: PhoneSequence, connections: number, durationSec: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    connections,
    duration: durationSec,
    headers: { 'content-type': 'application/json', authorization: BENCH_AUTH },
    requests: [{
      method: 'POST',
      path: '/api/v1/callbacks',
      // A new number every request: duplicate detection must not answer from an earlier request.
      setupRequest: (req: any) => ({ ...req, body: callbackBody(phones.next()) }),
    }],
  });
}

/** One measured run, with the server's CPU time over it: a cost per request that machine noise barely moves. */
async function measured(pid: number, url: string, phones: PhoneSequence, connections: number, durationSec: number): Promise<{ result: autocannon.Result; run: AcceptRun }> {
  const before = sampleProcess(pid);
  const r = await cannon(url, phones, connections, durationSec);
  const after = sampleProcess(pid);
  const cpu = before && after ? after.cpuMs - before.cpuMs : NaN;
  return { result: r, run: { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ok: r['2xx'], cpuMsPerReq: cpu / Math.max(1, r['2xx']), pgCpuMsPerReq: NaN } };
}

function medianRun(runs: AcceptRun[]): AcceptRun {
  const m = (k: keyof AcceptRun) => median(runs.map((r) => r[k]));
  return { rps: m('rps'), p50: m('p50'), p99: m('p99'), ok: m('ok'), cpuMsPerReq: m('cpuMsPerReq'), pgCpuMsPerReq: m('pgCpuMsPerReq') };
}

/**
 * POST /api/v1/callbacks at a fixed concurrency against a `beckon web` child with its own database and Redis
 * prefix, next to a bare Koa child in the same run. Runs alternate between the two so that noise from the
 * machine falls on both.
 */
export async function benchAccept(ctx: BenchContext): Promise<AcceptResult> {
  const { runs, acceptSec: durationSec, acceptConnections: connections } = ctx.plan;
  const db = await createBenchDb('accept');
  const prefix = benchRedisPrefix('accept');
  const port = await freePort();
  const barePort = await freePort();
  const children: Child[] = [];
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const web = spawnNode({ name: 'accept-web', args: ['src/main/cli.ts', 'web'], env: beckonEnv({ dbUrl: db.url, prefix, port }), logDir: ctx.logDir, cpuProfDir: ctx.profile.has('web') ? ctx.profDir : undefined });
    children.push(web);
    const bare = spawnNode({ name: 'accept-bare-koa', args: ['scripts/bench/baselines/bare-koa.ts'], env: { PORT: String(barePort) }, logDir: ctx.logDir });
    children.push(bare);
    await waitForLog(web, '"msg":"web listening"');
    await waitForLog(bare, 'bare koa ready');
    const beckonUrl = `http://127.0.0.1:${port}`;
    const bareUrl = `http://127.0.0.1:${barePort}`;

    // Warm-up: JIT, the pool's connections, the subscriber cache. Not counted.
    await cannon(bareUrl, ctx.phones, connections, 1);
    await cannon(beckonUrl, ctx.phones, connections, 2);

    const problems: string[] = [];
    const result: AcceptResult = { connections, durationSec, beckon: [], bare: [], median: undefined as never, problems, logProblems: '' };
    for (let i = 0; i < runs; i++) {
      const { result: b, run: bareRun } = await measured(bare.pid, bareUrl, ctx.phones, connections, durationSec);
      if (b.non2xx || b.errors) problems.push(`bare Koa run ${i + 1}: ${b.non2xx} non-2xx, ${b.errors} errors`);
      result.bare.push(bareRun);

      const before = await rowCount(db.pool);
      const pg0 = await pgMark(db);
      const { result: r, run } = await measured(web.pid, beckonUrl, ctx.phones, connections, durationSec);
      // The enqueued marks are written after the answers: let them land before the outbox is counted.
      await new Promise((res) => setTimeout(res, 500));
      run.pgCpuMsPerReq = pgCpuPerUnit(pg0, await pgMark(db), r['2xx']);
      result.beckon.push(run);
      const after = await rowCount(db.pool);
      const { rows: [ne] } = await db.pool.query(`SELECT count(*)::int AS n FROM callback_requests WHERE enqueued_at IS NULL`);
      const jobsWaiting = await redis.llen(`${prefix}:bull:callbacks:wait`);
      for (const p of checkAccept({ ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, rowsAdded: after - before, inFlight: connections, notEnqueued: ne.n, jobsWaiting, rowsTotal: after })) {
        problems.push(`accept run ${i + 1}: ${p}`);
      }
      ctx.progress(`accept run ${i + 1}/${runs}: beckon ${Math.round(run.rps)} req/s p99 ${run.p99} ms ${run.cpuMsPerReq.toFixed(2)} CPU ms/req; bare ${Math.round(bareRun.rps)} req/s p99 ${bareRun.p99} ms ${bareRun.cpuMsPerReq.toFixed(2)} CPU ms/req`);
    }
    result.median = { beckon: medianRun(result.beckon), bare: medianRun(result.bare) };
    const lp = countLogProblems(web);
    result.logProblems = lp.warn || lp.error ? `web logged ${lp.error} errors and ${lp.warn} warnings, e.g. ${lp.sample[0]}` : '';
    return result;
  } finally {
    redis.disconnect();
    for (const c of children) await c.stop();
    await dropRedisPrefix(prefix);
    await db.drop();
  }
}

export async function rowCount(pool: import('../../../src/platform/db/pool.ts').Pool): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM callback_requests`);
  return rows[0].n;
}
