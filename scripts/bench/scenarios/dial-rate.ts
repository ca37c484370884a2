import os from 'node:os';
import { startSim, type PhoneRule, type Sim } from '../../../src/sim/index.ts';
import type { BenchContext } from '../lib/context.ts';
import { TARGETS } from '../lib/figures.ts';
import { burstLoad } from '../lib/load.ts';
import { cpuBudget, cpuMark, describeBudget, medianCpu, type CpuPerUnit } from '../lib/cpu-budget.ts';
import { benchRedis } from '../lib/machine-cpu.ts';
import { loadRequestRows, waitForFinal } from '../lib/requests.ts';
import { checkCalls } from '../lib/self-check.ts';
import { spawnBareAri, until } from '../lib/sim-watch.ts';
import { startBeckon } from '../lib/stack.ts';
import { median, steadyRate } from '../lib/stats.ts';

/**
 * The visitor answers at once, never presses the key and hangs up two seconds later, while the prompt still
 * plays: every call is answered, bridged and prompted (the worker's visitor-side work) and ends `abandoned`,
 * which is final with one attempt, so the simulator never holds more than a few seconds' worth of calls.
 */
const RULES: PhoneRule[] = [{ pattern: '', behavior: { kind: 'answer', afterMs: 0, hangupAfterMs: 2000, pressKey: null } }];


export interface DialRateResult {
  burst: number;
  beckon: number[];
  bare: number[];
  /** CPU per call of every process: the dialing one, PostgreSQL, Redis, the bench process (simulator, load) */
  beckonCpu: CpuPerUnit[];
  bareCpu: CpuPerUnit[];
  /** rates and CPU per call (beckon: the dialing process; pg: PostgreSQL's, none for the bare client) */
  median: { beckon: number; bare: number; beckonCpu: CpuPerUnit; bareCpu: CpuPerUnit };
  problems: string[];
  logProblems: string[];
  notes: string[];
}

/**
 * What the machine's CPU allows each side, and what the ratio target would take: at `share` of the bare
 * client's rate, every call may cost the machine at most cores / (share × bare rate) of CPU, and Beckon's
 * calls cost the dialing process, PostgreSQL, Redis and the bench process's simulator.
 */
export function dialRateNotes(r: Pick<DialRateResult, 'median'>, cores: number, share: number): string[] {
  const { beckonCpu: beckon, bareCpu: bare } = r.median;
  const per = (x: CpuPerUnit, kind: string, db: boolean) => ({ [kind]: x.beckon, ...(db ? { PostgreSQL: x.pg } : {}), Redis: x.redis, 'bench process': x.bench });
  const allowed = (cores * 1000) / (share * r.median.bare);
  const spent = cpuBudget(per(beckon, 'worker', true), cores).totalMs;
  return [
    // The CPU spans the whole drain, the hang-ups 2 s after the last answer included: per call it is right, as
    // an average of cores busy it is not (the rate is taken over the middle of the originates).
    describeBudget('Dial rate, one worker', 'call', per(beckon, 'worker', true), cores, NaN, r.median.beckon),
    describeBudget('Dial rate, bare ARI client', 'call', per(bare, 'bare client', false), cores, NaN, r.median.bare),
    `Dial rate at ${share * 100}% of the bare client (${Math.round(share * r.median.bare)} calls/s), sustained, leaves each call at most ${allowed.toFixed(2)} ms of this machine's CPU; ` +
      `Beckon's calls take ${spent.toFixed(2)} ms, of which PostgreSQL and Redis ${(beckon.pg + beckon.redis).toFixed(2)} ms and the simulator and load in the bench process ${beckon.bench.toFixed(2)} ms. ` +
      'The burst rates above run past these sustained ceilings because each call\'s end (the hang-up 2 s later, its records) falls after the originates the rate is taken over.',
  ];
}

const visitorDials = (sim: Sim, prefix: string) => sim.originates().filter((o) => o.channelId.startsWith(prefix)).map((o) => o.at);

/**
 * Originates per second one worker sustains: the queue is filled first with the worker stopped, then the
 * worker starts and drains it while the simulator stamps every originate. The rate is taken over the middle
 * 80% of the originates, so start-up and the tail do not count. The bare ARI client dials the same burst
 * with the same number of originates in flight (the worker's job concurrency, 50).
 */
export async function benchDialRate(ctx: BenchContext): Promise<DialRateResult> {
  const n = ctx.plan.dialBurst;
  const sim = await startSim({ timeScale: 1 });
  sim.setRules(RULES);
  const problems: string[] = [];
  const logProblems: string[] = [];
  const notes: string[] = [];
  const result: DialRateResult = { burst: n, beckon: [], bare: [], beckonCpu: [], bareCpu: [], median: undefined as never, problems, logProblems, notes };
  const redis = benchRedis();
  try {
    for (let i = 1; i <= ctx.plan.runs; i++) {
      const label = `dial rate run ${i}`;
      const b = await startBeckon(ctx, `rate${i}`, sim, { worker: false });
      try {
        const tally = await burstLoad({ base: b.base, count: n, concurrency: 32, phones: () => ctx.phones.next() });
        if (tally.refused.length || tally.errors.length) problems.push(`${label}: ${tally.refused.length} refused, ${tally.errors.length} errors`);
        const ids = tally.accepted.map((a) => a.id);
        sim.clearOriginates();
        const worker = await b.startWorker();
        const mark = await cpuMark([worker.pid], b.db, redis);
        const open = await waitForFinal(b.db.pool, ids, 180_000);
        const { cpu } = await mark.per(ids.length);
        result.beckonCpu.push(cpu);
        if (open) problems.push(`${label}: ${open} requests still open after 180 s`);
        for (const p of checkCalls({ acceptedIds: ids, rows: await loadRequestRows(b.db.pool, ids), originates: sim.originates(), expectOutcome: 'abandoned', expectStatus: 'failed' })) problems.push(`${label}: ${p}`);
        result.beckon.push(steadyRate(visitorDials(sim, 'bk-v-')));
        logProblems.push(...b.logProblems());
      } finally {
        await b.stop();
      }
      await until(() => sim.channels().length === 0, 10_000);

      sim.clearOriginates();
      const bare = await spawnBareAri(ctx, sim, `bare-ari-rate${i}`, ctx.phones.take(n), '+12025550111');
      try {
        const mark = await cpuMark([bare.child.pid], null, redis);
        bare.go();
        if (!(await until(() => sim.originates().length >= n && sim.channels().length === 0, 180_000, 200))) {
          problems.push(`bare ARI client dial rate run ${i}: ${sim.originates().length} of ${n} dialed, ${sim.channels().length} channels left`);
        }
        const { cpu } = await mark.per(n);
        result.bareCpu.push(cpu);
        result.bare.push(steadyRate(visitorDials(sim, 'bare-v-')));
      } finally {
        await bare.child.stop();
      }
      const c = result.beckonCpu.at(-1)!;
      ctx.progress(`dial rate run ${i}/${ctx.plan.runs}: beckon ${result.beckon.at(-1)!.toFixed(0)} originates/s (per call: worker ${c.beckon.toFixed(1)} CPU ms, PostgreSQL ${c.pg.toFixed(1)} CPU ms); bare ${result.bare.at(-1)!.toFixed(0)}/s (${result.bareCpu.at(-1)!.beckon.toFixed(1)} CPU ms per call)`);
    }
    result.median = { beckon: median(result.beckon), bare: median(result.bare), beckonCpu: medianCpu(result.beckonCpu), bareCpu: medianCpu(result.bareCpu) };
    notes.push(...dialRateNotes(result, os.cpus().length, TARGETS.dialRateShareOfBare));
    return result;
  } finally {
    redis.disconnect();
    await sim.close();
  }
}
