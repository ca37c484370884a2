import os from 'node:os';
import { startSim, type PhoneRule, type Sim } from '../../../src/sim/index.ts';
import { startCluster, type NodeWorker } from '../lib/cluster.ts';
import type { BenchContext } from '../lib/context.ts';
import { cpuMark, describeBudget, medianCpu, type CpuPerUnit } from '../lib/cpu-budget.ts';
import { burstLoad } from '../lib/load.ts';
import { benchRedis } from '../lib/machine-cpu.ts';
import { withQueueHandle } from '../lib/queue-control.ts';
import { loadRequestRows, waitForFinal } from '../lib/requests.ts';
import { checkAccept, checkCalls } from '../lib/self-check.ts';
import { until } from '../lib/sim-watch.ts';
import { median, steadyRate } from '../lib/stats.ts';
import { cannon, rowCount } from './accept.ts';

export interface ScaleAcceptRun { rps: number; p99: number; ok: number; coresBusy: number; cpu: CpuPerUnit }
export interface ScaleDialRun { rate: number; coresBusy: number; cpu: CpuPerUnit; perNode: Record<string, number> }

export interface ScaleResult {
  cores: number;
  connectionsPerWeb: number;
  burst: number;
  accept: { one: ScaleAcceptRun[]; two: ScaleAcceptRun[] };
  dial: { one: ScaleDialRun[]; two: ScaleDialRun[] };
  median: { accept: { one: ScaleAcceptRun; two: ScaleAcceptRun }; dial: { one: ScaleDialRun; two: ScaleDialRun } };
  problems: string[];
  logProblems: string[];
  notes: string[];
}

/** As in the dial-rate scenario: answered, bridged and prompted, then the visitor hangs up (`abandoned`, final with one attempt). */
const RULES: PhoneRule[] = [{ pattern: '', behavior: { kind: 'answer', afterMs: 0, hangupAfterMs: 2000, pressKey: null } }];

const medianAccept = (r: ScaleAcceptRun[]): ScaleAcceptRun => ({
  rps: median(r.map((x) => x.rps)), p99: median(r.map((x) => x.p99)), ok: median(r.map((x) => x.ok)), coresBusy: median(r.map((x) => x.coresBusy)), cpu: medianCpu(r.map((x) => x.cpu)),
});
const medianDial = (r: ScaleDialRun[]): ScaleDialRun => ({
  rate: median(r.map((x) => x.rate)), coresBusy: median(r.map((x) => x.coresBusy)), cpu: medianCpu(r.map((x) => x.cpu)),
  perNode: Object.fromEntries(['a', 'b'].map((n) => [n, median(r.map((x) => x.perNode[n] ?? 0))])),
});

/**
 * Accept with one and with two `beckon web` processes sharing one database and Redis: autocannon (in the bench
 * process) keeps the same number of connections open to each process, as the accept scenario does to one; the
 * rate is the sum over the processes, p99 the worse of theirs. One-process and two-process runs alternate.
 */
async function scaleAccept(ctx: BenchContext, result: ScaleResult): Promise<void> {
  const { runs, acceptSec, acceptConnections } = ctx.plan;
  const c = await startCluster(ctx, 'scale-accept', { webs: 2, workers: [] });
  const redis = benchRedis();
  try {
    for (const base of c.bases) await cannon(base, ctx.phones, acceptConnections, 2); // warm-up, not counted
    // Requests still in flight when autocannon stopped commit after it returns: let them land before counting rows.
    await new Promise((res) => setTimeout(res, 500));
    for (let i = 1; i <= runs; i++) {
      for (const n of [1, 2] as const) {
        const bases = c.bases.slice(0, n);
        const before = await rowCount(c.db.pool);
        const mark = await cpuMark(c.webs.slice(0, n).map((w) => w.pid), c.db, redis);
        const rs = await Promise.all(bases.map((b) => cannon(b, ctx.phones, acceptConnections, acceptSec)));
        const ok = rs.reduce((s, r) => s + r['2xx'], 0);
        const { cpu, coresBusy } = await mark.per(ok);
        const run: ScaleAcceptRun = { rps: rs.reduce((s, r) => s + r.requests.average, 0), p99: Math.max(...rs.map((r) => r.latency.p99)), ok, coresBusy, cpu };
        (n === 1 ? result.accept.one : result.accept.two).push(run);
        // The enqueued marks are written after the answers: let them land before the outbox is counted.
        await new Promise((res) => setTimeout(res, 500));
        const after = await rowCount(c.db.pool);
        const { rows: [ne] } = await c.db.pool.query(`SELECT count(*)::int AS n FROM callback_requests WHERE enqueued_at IS NULL`);
        const jobsWaiting = await redis.llen(`${c.prefix}:bull:callbacks:wait`);
        const sum = (k: 'non2xx' | 'errors' | 'timeouts') => rs.reduce((s, r) => s + r[k], 0);
        for (const p of checkAccept({ ok, non2xx: sum('non2xx'), errors: sum('errors'), timeouts: sum('timeouts'), rowsAdded: after - before, inFlight: acceptConnections * n, notEnqueued: ne.n, jobsWaiting, rowsTotal: after })) {
          result.problems.push(`scale-out accept, ${n} web process${n > 1 ? 'es' : ''}, run ${i}: ${p}`);
        }
        ctx.progress(`scale accept run ${i}/${runs}, ${n} web: ${Math.round(run.rps)} req/s p99 ${run.p99} ms, ${coresBusy.toFixed(1)} cores busy, web ${cpu.beckon.toFixed(2)} CPU ms/req`);
      }
    }
    result.logProblems.push(...c.logProblems());
  } finally {
    redis.disconnect();
    await c.stop();
  }
}

/**
 * Dial rate with one worker (serving node a) and with two (one serving node a, one node b), each node its own
 * simulator: the queue is filled with the workers up and the queue held, then released; the rate is taken over
 * the middle 80% of the visitor originates at both simulators together.
 */
async function scaleDial(ctx: BenchContext, result: ScaleResult, sims: { a: Sim; b: Sim }): Promise<void> {
  const n = ctx.plan.dialBurst;
  const redis = benchRedis();
  try {
    for (let i = 1; i <= ctx.plan.runs; i++) {
      for (const w of [1, 2] as const) {
        const label = `scale-out dial, ${w} worker${w > 1 ? 's' : ''}, run ${i}`;
        const workers: NodeWorker[] = w === 1 ? [{ node: 'a', sim: sims.a }] : [{ node: 'a', sim: sims.a }, { node: 'b', sim: sims.b }];
        const c = await startCluster(ctx, `scale-dial${w}-${i}`, { webs: 1, workers });
        try {
          await withQueueHandle(c.prefix, async (queue) => {
            await queue.pause();
            const tally = await burstLoad({ base: c.bases[0]!, count: n, concurrency: 32, phones: () => ctx.phones.next() });
            if (tally.refused.length || tally.errors.length) result.problems.push(`${label}: ${tally.refused.length} refused, ${tally.errors.length} errors`);
            const ids = tally.accepted.map((a) => a.id);
            const started = await c.startWorkers();
            sims.a.clearOriginates();
            sims.b.clearOriginates();
            const mark = await cpuMark(started.map((x) => x.pid), c.db, redis);
            await queue.resume();
            const open = await waitForFinal(c.db.pool, ids, 180_000);
            const { cpu, coresBusy } = await mark.per(ids.length);
            if (open) result.problems.push(`${label}: ${open} requests still open after 180 s`);
            const originates = [...sims.a.originates(), ...sims.b.originates()];
            for (const p of checkCalls({ acceptedIds: ids, rows: await loadRequestRows(c.db.pool, ids), originates, expectOutcome: 'abandoned', expectStatus: 'failed' })) result.problems.push(`${label}: ${p}`);
            const visitor = (s: Sim) => s.originates().filter((o) => o.channelId.startsWith('bk-v-'));
            const perNode = { a: visitor(sims.a).length, b: visitor(sims.b).length };
            if (w === 2 && (perNode.a === 0 || perNode.b === 0)) result.problems.push(`${label}: one node dialed nothing (a ${perNode.a}, b ${perNode.b})`);
            const run: ScaleDialRun = { rate: steadyRate([...visitor(sims.a), ...visitor(sims.b)].map((o) => o.at)), coresBusy, cpu, perNode };
            (w === 1 ? result.dial.one : result.dial.two).push(run);
            ctx.progress(`scale dial run ${i}/${ctx.plan.runs}, ${w} worker(s): ${run.rate.toFixed(0)} originates/s (node a ${perNode.a}, b ${perNode.b}), ${coresBusy.toFixed(1)} cores busy, worker ${cpu.beckon.toFixed(2)} CPU ms/call`);
          });
          result.logProblems.push(...c.logProblems());
        } finally {
          await c.stop();
        }
        await until(() => sims.a.channels().length === 0 && sims.b.channels().length === 0, 10_000);
      }
    }
  } finally {
    redis.disconnect();
  }
}

/** Accept with 1 and 2 web processes, dial rate with 1 and 2 workers over two simulated Asterisk nodes. */
export async function benchScale(ctx: BenchContext): Promise<ScaleResult> {
  const cores = os.cpus().length;
  const result: ScaleResult = {
    cores, connectionsPerWeb: ctx.plan.acceptConnections, burst: ctx.plan.dialBurst,
    accept: { one: [], two: [] }, dial: { one: [], two: [] }, median: undefined as never, problems: [], logProblems: [], notes: [],
  };
  await scaleAccept(ctx, result);
  const a = await startSim({ timeScale: 1 });
  const b = await startSim({ timeScale: 1 });
  try {
    a.setRules(RULES);
    b.setRules(RULES);
    await scaleDial(ctx, result, { a, b });
  } finally {
    await a.close();
    await b.close();
  }
  const m = result.median = {
    accept: { one: medianAccept(result.accept.one), two: medianAccept(result.accept.two) },
    dial: { one: medianDial(result.dial.one), two: medianDial(result.dial.two) },
  };
  const budget = (x: CpuPerUnit, kind: string) => ({ [kind]: x.beckon, PostgreSQL: x.pg, Redis: x.redis, 'bench process': x.bench });
  result.notes.push(
    describeBudget('Scale-out accept, 2 web processes', 'request', budget(m.accept.two.cpu, 'web'), cores, m.accept.two.coresBusy, m.accept.two.rps),
    describeBudget('Scale-out dial rate, 2 workers on two nodes', 'call', budget(m.dial.two.cpu, 'workers'), cores, m.dial.two.coresBusy, m.dial.two.rate) +
      ' The bench process holds both simulated Asterisk nodes and the load generator.',
  );
  return result;
}
