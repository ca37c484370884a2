import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSim, type Sim } from '../../../src/sim/index.ts';
import type { BenchContext } from '../lib/context.ts';
import { burstLoad, steadyLoad, type LoadTally } from '../lib/load.ts';
import { withQueueHandle } from '../lib/queue-control.ts';
import { loadRequestRows, waitForFinal } from '../lib/requests.ts';
import { checkCalls } from '../lib/self-check.ts';
import { bridgedCalls, describeSimCalls, until, untilCount } from '../lib/sim-watch.ts';
import { startBeckon, type BeckonProcs } from '../lib/stack.ts';
import { median, summarize } from '../lib/stats.ts';
import { HANGUP_SPREAD_MS, hangUpVisitors, RULES, TIME_SCALE } from './concurrent-calls.ts';

/**
 * benchLagP99/benchLagMax: how late the bench process's own event loop ran during the load (ms). The load
 * generator and the simulator, which also holds the calls, live there: a stall of theirs delays the
 * originate's stamp as much as a stall of the worker does.
 */
export interface BusyDialRun { p50: number; p99: number; count: number; benchLagP99: number; benchLagMax: number }
export interface BusyWorkerDialResult {
  rate: number;
  held: number;
  /** the same worker with no call up, just before it takes the held calls */
  idle: BusyDialRun[];
  busy: BusyDialRun[];
  median: { idle: BusyDialRun; busy: BusyDialRun };
  problems: string[];
  logProblems: string[];
  notes: string[];
}

/** New visitors are busy at once (the attempt ends as it is dialed); the held calls' callee still answers. */
const BUSY_AT_ONCE = [RULES[0]!, { pattern: '', behavior: { kind: 'busy' as const, afterMs: 0 } }];

interface Phase { latencies: number[]; lag: { p99: number; max: number } }
const runOf = ({ latencies, lag }: Phase): BusyDialRun => {
  const s = summarize(latencies);
  return { p50: s.p50, p99: s.p99, count: s.count, benchLagP99: lag.p99, benchLagMax: lag.max };
};
const medianRun = (r: BusyDialRun[]): BusyDialRun => ({
  p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)), count: median(r.map((x) => x.count)),
  benchLagP99: median(r.map((x) => x.benchLagP99)), benchLagMax: median(r.map((x) => x.benchLagMax)),
});

/** Milliseconds from each 202 to that visitor's originate at the simulator. */
function latencies(sim: Sim, tally: LoadTally): number[] {
  const at = new Map<string, number>();
  for (const o of sim.originates()) if (o.number && o.channelId.startsWith('bk-v-')) at.set(o.number, o.at);
  const out: number[] = [];
  for (const a of tally.accepted) {
    const t = at.get(a.phone.replace(/^\+/, ''));
    if (t !== undefined) out.push(t - a.acceptedAt);
  }
  return out;
}

/** Steady load of visitors who are busy at once; every request checked to fail busy, dialed once. */
async function dialUnderLoad(ctx: BenchContext, b: BeckonProcs, sim: Sim, rate: number, sec: number, label: string, problems: string[]): Promise<Phase> {
  sim.clearOriginates();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const tally = await steadyLoad({ base: b.base, rate, durationSec: sec, phones: () => ctx.phones.next() });
  loop.disable();
  const ids = tally.accepted.map((a) => a.id);
  const open = await waitForFinal(b.db.pool, ids, 60_000);
  if (tally.refused.length || tally.errors.length) problems.push(`${label}: ${tally.refused.length} refused, ${tally.errors.length} errors (${tally.refused[0]?.body ?? tally.errors[0]})`);
  if (open) problems.push(`${label}: ${open} requests still open 60 s after the load`);
  for (const x of checkCalls({ acceptedIds: ids, rows: await loadRequestRows(b.db.pool, ids), originates: sim.originates(), expectOutcome: 'busy', expectStatus: 'failed' })) problems.push(`${label}: ${x}`);
  return { latencies: latencies(sim, tally), lag: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } };
}

async function oneRun(ctx: BenchContext, sim: Sim, run: number, rate: number, sec: number, held: number, problems: string[], logProblems: string[]): Promise<{ idle: BusyDialRun; busy: BusyDialRun }> {
  const label = `busy-worker dial run ${run}`;
  const b = await startBeckon(ctx, `busydial${run}`, sim, { worker: false });
  try {
    return await withQueueHandle(b.prefix, async (queue) => {
      await b.startWorker();
      sim.setRules(BUSY_AT_ONCE);
      await dialUnderLoad(ctx, b, sim, ctx.plan.dialWarmUp.rate, ctx.plan.dialWarmUp.sec, `${label} warm-up`, problems);
      const idle = runOf(await dialUnderLoad(ctx, b, sim, rate, sec, `${label}, idle worker`, problems));

      // The held calls: accepted with the queue held, then released so the same worker sets them all up.
      sim.setRules(RULES);
      await queue.pause();
      const tally = await burstLoad({ base: b.base, count: held, concurrency: 32, phones: () => ctx.phones.next() });
      const heldIds = tally.accepted.map((a) => a.id);
      if (tally.refused.length || tally.errors.length) problems.push(`${label}: ${tally.refused.length} held-call requests refused, ${tally.errors.length} errors`);
      await queue.resume();
      const up = await untilCount(() => bridgedCalls(sim, 'bk-'), heldIds.length, { timeoutMs: 180_000, stallMs: 20_000 });
      if (up < heldIds.length) problems.push(`${label}: only ${up} of ${heldIds.length} held calls were bridged (${describeSimCalls(sim, 'bk-')})`);
      const heldOriginates = sim.originates();

      sim.setRules(BUSY_AT_ONCE);
      const busy = runOf(await dialUnderLoad(ctx, b, sim, rate, sec, `${label}, ${up} calls held`, problems));
      const stillUp = bridgedCalls(sim, 'bk-');
      if (stillUp !== up) problems.push(`${label}: ${up} calls were held before the load and ${stillUp} after`);

      await hangUpVisitors(sim, 'bk-v-', HANGUP_SPREAD_MS);
      const open = await waitForFinal(b.db.pool, heldIds, 90_000);
      if (open) problems.push(`${label}: ${open} held requests still open 90 s after the hang-up`);
      for (const x of checkCalls({ acceptedIds: heldIds, rows: await loadRequestRows(b.db.pool, heldIds), originates: heldOriginates, expectOutcome: 'answered', expectStatus: 'completed' })) problems.push(`${label}: held calls: ${x}`);
      if (!(await until(() => sim.channels().length === 0, 10_000))) problems.push(`${label}: ${sim.channels().length} channels left up at the simulator`);
      logProblems.push(...b.logProblems());
      return { idle, busy };
    });
  } finally {
    await b.stop();
  }
}

/**
 * Time to dial at a steady rate while the same worker holds many bridged calls, next to that worker idle in the
 * same run: a worker carrying calls must still dial new requests at once.
 */
export async function benchBusyWorkerDial(ctx: BenchContext): Promise<BusyWorkerDialResult> {
  const rate = 100;
  // 1,500 requests a phase: the p99 is then the 15th slowest, not one of a handful.
  const sec = ctx.quick ? 2 : 15;
  const held = ctx.quick ? 100 : 1000;
  const sim = await startSim({ timeScale: TIME_SCALE });
  const problems: string[] = [];
  const logProblems: string[] = [];
  const result: BusyWorkerDialResult = { rate, held, idle: [], busy: [], median: undefined as never, problems, logProblems, notes: [] };
  try {
    for (let i = 1; i <= ctx.plan.runs; i++) {
      const r = await oneRun(ctx, sim, i, rate, sec, held, problems, logProblems);
      result.idle.push(r.idle);
      result.busy.push(r.busy);
      ctx.progress(`time to dial at ${rate}/s with ${held} calls held, run ${i}/${ctx.plan.runs}: p50 ${r.busy.p50.toFixed(1)} p99 ${r.busy.p99.toFixed(1)} ms; idle worker p50 ${r.idle.p50.toFixed(1)} p99 ${r.idle.p99.toFixed(1)} ms`);
      await sleep(500);
    }
    result.median = { idle: medianRun(result.idle), busy: medianRun(result.busy) };
    const m = result.median;
    result.notes.push(`Time to dial with ${held} calls held: the bench process's own event loop (load generator and simulator) ran late by p99 ${m.busy.benchLagP99.toFixed(1)} ms, max ${m.busy.benchLagMax.toFixed(1)} ms during the load with the calls held, and by p99 ${m.idle.benchLagP99.toFixed(1)} ms, max ${m.idle.benchLagMax.toFixed(1)} ms with the worker idle (medians of the runs); a stall there delays an originate's stamp as one in the worker does.`);
    return result;
  } finally {
    await sim.close();
  }
}
