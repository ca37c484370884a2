import { startSim, type Sim } from '../../../src/sim/index.ts';
import { benchRedisPrefix, dropRedisPrefix, REDIS_URL } from '../lib/bench-env.ts';
import { freePort, spawnNode, waitForLog, type Child } from '../lib/children.ts';
import type { BenchContext } from '../lib/context.ts';
import { steadyLoad, type LoadTally } from '../lib/load.ts';
import { loadRequestRows, waitForFinal } from '../lib/requests.ts';
import { checkCalls } from '../lib/self-check.ts';
import { startBeckon, type BeckonProcs } from '../lib/stack.ts';
import { median, summarize } from '../lib/stats.ts';

export interface DialRun { p50: number; p99: number; count: number }
export interface DialRateResult { rate: number; beckon: DialRun[]; bare: DialRun[]; median: { beckon: DialRun; bare: DialRun } }
export interface TimeToDialResult { rates: DialRateResult[]; problems: string[]; logProblems: string[] }

/** Every visitor is busy at once (cause 17): the attempt ends the moment it is dialed and, with one attempt allowed, the request fails. */
const BUSY_AT_ONCE = [{ pattern: '', behavior: { kind: 'busy' as const, afterMs: 0 } }];

/** Milliseconds from each 202 to the originate of that visitor at the simulator. */
function latencies(sim: Sim, tally: LoadTally, channelPrefix: string): number[] {
  const at = new Map<string, number>();
  for (const o of sim.originates()) if (o.number && o.channelId.startsWith(channelPrefix)) at.set(o.number, o.at);
  const out: number[] = [];
  for (const a of tally.accepted) {
    const t = at.get(a.phone.replace(/^\+/, ''));
    if (t !== undefined) out.push(t - a.acceptedAt);
  }
  return out;
}

const runOf = (samples: number[]): DialRun => { const s = summarize(samples); return { p50: s.p50, p99: s.p99, count: s.count }; };
const medianRun = (r: DialRun[]): DialRun => ({ p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)), count: median(r.map((x) => x.count)) });

/**
 * Time to dial at a steady request rate: `beckon web` + `beckon worker` children against the simulator in this
 * process, next to the bare pipeline (Koa → Bull → consumer → originate) on the same Redis and simulator.
 */
export async function benchTimeToDial(ctx: BenchContext): Promise<TimeToDialResult> {
  const sim = await startSim({ timeScale: 1 });
  sim.setRules(BUSY_AT_ONCE);
  let beckon: BeckonProcs | null = null;
  const bareChildren: Child[] = [];
  const barePrefix = benchRedisPrefix('bare-pipeline');
  const problems: string[] = [];
  try {
    beckon = await startBeckon(ctx, 'dial', sim, { worker: true });
    const barePort = await freePort();
    const bareEnv = { REDIS_URL, PREFIX: barePrefix, PORT: String(barePort), ARI_URL: sim.ariUrl, CONCURRENCY: '50' };
    const bareWeb = spawnNode({ name: 'bare-pipeline-web', args: ['scripts/bench/baselines/bare-pipeline.ts'], env: { ...bareEnv, ROLE: 'web' }, logDir: ctx.logDir });
    bareChildren.push(bareWeb);
    const bareWorker = spawnNode({ name: 'bare-pipeline-worker', args: ['scripts/bench/baselines/bare-pipeline.ts'], env: { ...bareEnv, ROLE: 'worker' }, logDir: ctx.logDir });
    bareChildren.push(bareWorker);
    await waitForLog(bareWeb, 'ready');
    await waitForLog(bareWorker, 'ready');
    const bareBase = `http://127.0.0.1:${barePort}`;

    const b = beckon;
    const runBeckon = async (rate: number, sec: number, label: string): Promise<number[]> => {
      sim.clearOriginates();
      const tally = await steadyLoad({ base: b.base, rate, durationSec: sec, phones: () => ctx.phones.next() });
      const ids = tally.accepted.map((a) => a.id);
      // A worker slower than the load leaves a queue behind: give it time to drain (and say so if it cannot).
      const drainMs = 120_000;
      const open = await waitForFinal(b.db.pool, ids, drainMs);
      const rows = await loadRequestRows(b.db.pool, ids);
      const found = [
        ...(tally.refused.length ? [`${tally.refused.length} requests refused (e.g. ${tally.refused[0]!.status} ${tally.refused[0]!.body})`] : []),
        ...(tally.errors.length ? [`${tally.errors.length} connection errors (${tally.errors[0]})`] : []),
        ...(open ? [`${open} requests still open ${drainMs / 1000} s after the load`] : []),
        ...checkCalls({ acceptedIds: ids, rows, originates: sim.originates(), expectOutcome: 'busy', expectStatus: 'failed' }),
      ];
      for (const p of found) problems.push(`${label}: ${p}`);
      return latencies(sim, tally, 'bk-v-');
    };
    const runBare = async (rate: number, sec: number, label: string): Promise<number[]> => {
      sim.clearOriginates();
      const tally = await steadyLoad({ base: bareBase, rate, durationSec: sec, phones: () => ctx.phones.next() });
      // The bare consumer keeps no state: wait until the simulator has seen every originate.
      const deadline = Date.now() + 30_000;
      while (sim.originates().length < tally.accepted.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (tally.refused.length || tally.errors.length) problems.push(`${label}: ${tally.refused.length} refused, ${tally.errors.length} errors`);
      if (sim.originates().length !== tally.accepted.length) problems.push(`${label}: ${tally.accepted.length} accepted but ${sim.originates().length} originated`);
      return latencies(sim, tally, 'bare-');
    };

    // Warm-up (JIT, pools, Bull's blocking loop, the new tables' statistics): not counted, but still checked.
    const warm = ctx.plan.dialWarmUp;
    await runBeckon(warm.rate, warm.sec, 'time-to-dial warm-up');
    await runBare(warm.rate, warm.sec, 'bare pipeline warm-up');

    const rates: DialRateResult[] = [];
    for (const { rate, sec } of ctx.plan.dialRates) {
      const r: DialRateResult = { rate, beckon: [], bare: [], median: undefined as never };
      for (let i = 0; i < ctx.plan.runs; i++) {
        r.beckon.push(runOf(await runBeckon(rate, sec, `time to dial ${rate}/s run ${i + 1}`)));
        r.bare.push(runOf(await runBare(rate, sec, `bare pipeline ${rate}/s run ${i + 1}`)));
        const x = r.beckon[r.beckon.length - 1]!;
        const y = r.bare[r.bare.length - 1]!;
        ctx.progress(`time to dial at ${rate}/s run ${i + 1}/${ctx.plan.runs}: beckon p50 ${x.p50.toFixed(1)} p99 ${x.p99.toFixed(1)} ms (${x.count}); bare p50 ${y.p50.toFixed(1)} p99 ${y.p99.toFixed(1)} ms`);
      }
      r.median = { beckon: medianRun(r.beckon), bare: medianRun(r.bare) };
      rates.push(r);
    }
    return { rates, problems, logProblems: beckon.logProblems() };
  } finally {
    for (const c of bareChildren) await c.stop();
    await dropRedisPrefix(barePrefix);
    await beckon?.stop();
    await sim.close();
  }
}
