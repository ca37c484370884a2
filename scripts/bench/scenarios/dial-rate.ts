import { startSim, type PhoneRule, type Sim } from '../../../src/sim/index.ts';
import type { BenchContext } from '../lib/context.ts';
import { burstLoad } from '../lib/load.ts';
import { pgCpuPerUnit, pgMark } from '../lib/pg-stats.ts';
import { sampleProcess } from '../lib/proc-stats.ts';
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

/** What one call cost: CPU of the dialing process, and (Beckon) of the PostgreSQL server. */
export interface CallCost { cpuMs: number; pgCpuMs: number }

export interface DialRateResult {
  burst: number;
  beckon: number[];
  bare: number[];
  beckonCost: CallCost[];
  bareCost: CallCost[];
  median: { beckon: number; bare: number; beckonCost: CallCost; bareCost: CallCost };
  problems: string[];
  logProblems: string[];
}

function medianCost(c: CallCost[]): CallCost {
  return { cpuMs: median(c.map((x) => x.cpuMs)), pgCpuMs: median(c.map((x) => x.pgCpuMs)) };
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
  const result: DialRateResult = { burst: n, beckon: [], bare: [], beckonCost: [], bareCost: [], median: undefined as never, problems, logProblems };
  try {
    for (let i = 1; i <= ctx.plan.runs; i++) {
      const label = `dial rate run ${i}`;
      const b = await startBeckon(ctx, `rate${i}`, sim, { worker: false });
      try {
        const tally = await burstLoad({ base: b.base, count: n, concurrency: 32, phones: () => ctx.phones.next() });
        if (tally.refused.length || tally.errors.length) problems.push(`${label}: ${tally.refused.length} refused, ${tally.errors.length} errors`);
        const ids = tally.accepted.map((a) => a.id);
        sim.clearOriginates();
        const pg0 = await pgMark(b.db);
        const worker = await b.startWorker();
        const cpu0 = sampleProcess(worker.pid);
        const open = await waitForFinal(b.db.pool, ids, 180_000);
        const cpu1 = sampleProcess(worker.pid);
        const pgCpuMs = pgCpuPerUnit(pg0, await pgMark(b.db), ids.length);
        result.beckonCost.push({ cpuMs: cpu0 && cpu1 ? (cpu1.cpuMs - cpu0.cpuMs) / Math.max(1, ids.length) : NaN, pgCpuMs });
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
        const cpu0 = sampleProcess(bare.child.pid);
        bare.go();
        if (!(await until(() => sim.originates().length >= n && sim.channels().length === 0, 180_000, 200))) {
          problems.push(`bare ARI client dial rate run ${i}: ${sim.originates().length} of ${n} dialed, ${sim.channels().length} channels left`);
        }
        const cpu1 = sampleProcess(bare.child.pid);
        result.bareCost.push({ cpuMs: cpu0 && cpu1 ? (cpu1.cpuMs - cpu0.cpuMs) / n : NaN, pgCpuMs: 0 });
        result.bare.push(steadyRate(visitorDials(sim, 'bare-v-')));
      } finally {
        await bare.child.stop();
      }
      const c = result.beckonCost.at(-1)!;
      ctx.progress(`dial rate run ${i}/${ctx.plan.runs}: beckon ${result.beckon.at(-1)!.toFixed(0)} originates/s (per call: worker ${c.cpuMs.toFixed(1)} CPU ms, PostgreSQL ${c.pgCpuMs.toFixed(1)} CPU ms); bare ${result.bare.at(-1)!.toFixed(0)}/s (${result.bareCost.at(-1)!.cpuMs.toFixed(1)} CPU ms per call)`);
    }
    result.median = { beckon: median(result.beckon), bare: median(result.bare), beckonCost: medianCost(result.beckonCost), bareCost: medianCost(result.bareCost) };
    return result;
  } finally {
    await sim.close();
  }
}
