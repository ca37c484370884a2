import { setTimeout as sleep } from 'node:timers/promises';
import { startSim, type PhoneRule, type Sim } from '../../../src/sim/index.ts';
import type { BenchContext } from '../lib/context.ts';
import { EventTap } from '../lib/event-tap.ts';
import { burstLoad } from '../lib/load.ts';
import { machineCpuMark } from '../lib/machine-cpu.ts';
import { ProcSampler } from '../lib/proc-stats.ts';
import { withQueueHandle } from '../lib/queue-control.ts';
import { loadRequestRows, waitForFinal } from '../lib/requests.ts';
import { checkCalls } from '../lib/self-check.ts';
import { bridgedCalls, describeSimCalls, spawnBareAri, until, untilCount } from '../lib/sim-watch.ts';
import { startBeckon } from '../lib/stack.ts';
import { median } from '../lib/stats.ts';

/** The simulator's delays run 10x faster: answer after 100 ms, the key 50 ms into the prompt. */
export const TIME_SCALE = 0.1;
export const CALLEE = '+12025550111';
/** Both sides answer and stay on until the bench hangs the visitors up (an hour, scaled, is far beyond the run). */
export const RULES: PhoneRule[] = [
  { pattern: `^${CALLEE.slice(1)}$`, behavior: { kind: 'answer', hangupAfterMs: 3_600_000 } },
  { pattern: '', behavior: { kind: 'answer', hangupAfterMs: 3_600_000 } },
];

export interface HoldRun {
  /** most calls seen bridged at once at the simulator */
  held: number;
  rssIdleMb: number;
  rssPeakMb: number;
  /** CPU while calls were being set up, % of one core */
  cpuRampPct: number;
  /** The whole machine's cores busy while the calls were being set up (simulator, PostgreSQL and Redis included) */
  machineRampCores: number;
  /** CPU while all calls were up and nothing happened */
  cpuHoldPct: number;
  /** events per second the process was sent (and had to handle) while setting the calls up */
  eventsPerSec: number;
  events: number;
  rampSec: number;
  teardownSec: number;
}

export interface ConcurrentResult { calls: number; beckon: HoldRun[]; bare: HoldRun[]; median: { beckon: HoldRun; bare: HoldRun }; problems: string[]; logProblems: string[] }

function medianRun(runs: HoldRun[]): HoldRun {
  const m = (k: keyof HoldRun) => median(runs.map((r) => r[k]));
  return { held: m('held'), rssIdleMb: m('rssIdleMb'), rssPeakMb: m('rssPeakMb'), cpuRampPct: m('cpuRampPct'), machineRampCores: m('machineRampCores'), cpuHoldPct: m('cpuHoldPct'), eventsPerSec: m('eventsPerSec'), events: m('events'), rampSec: m('rampSec'), teardownSec: m('teardownSec') };
}

interface Phases { idleAt: number; rampStart: number; allUp: number; holdEnd: number; hangup: number; allEnded: number; held: number; rampCores: number }

function summarizeRun(p: Phases, sampler: ProcSampler, tap: EventTap): HoldRun {
  // The set-up is the worker's own pace (the queue was full when released); the tear-down follows the
  // visitors' hang-ups, which the bench spreads, so only the set-up gives a rate.
  const rampEvents = tap.between(p.rampStart, p.allUp);
  const events = rampEvents + tap.between(p.hangup, p.allEnded);
  return {
    held: p.held,
    rssIdleMb: sampler.samples.find((s) => s.at >= p.idleAt)?.rssMb ?? NaN,
    rssPeakMb: sampler.peakRssMb(),
    cpuRampPct: sampler.cpuPercent(p.rampStart, p.allUp),
    machineRampCores: p.rampCores,
    cpuHoldPct: sampler.cpuPercent(p.allUp, p.holdEnd),
    eventsPerSec: rampEvents / Math.max(0.001, (p.allUp - p.rampStart) / 1000),
    events,
    rampSec: (p.allUp - p.rampStart) / 1000,
    teardownSec: (p.allEnded - p.hangup) / 1000,
  };
}

/**
 * The visitors hang up, spread evenly over `spreadMs` (all 1,000 in the same instant is no load a real
 * worker sees, and would mostly measure PostgreSQL's queue).
 */
export async function hangUpVisitors(sim: Sim, prefix: string, spreadMs: number): Promise<void> {
  const ids = (sim.channels() as { id: string }[]).map((c) => c.id).filter((id) => id.startsWith(prefix));
  const start = Date.now();
  for (let i = 0; i < ids.length; i++) {
    const due = start + (i * spreadMs) / ids.length;
    if (due > Date.now()) await sleep(due - Date.now());
    try { sim.farEndHangup(ids[i]!); } catch { /* already going */ }
  }
}

export const HANGUP_SPREAD_MS = 5000;

async function beckonRun(ctx: BenchContext, sim: Sim, tap: EventTap, n: number, run: number, problems: string[], logProblems: string[]): Promise<HoldRun> {
  const label = `concurrent calls run ${run}`;
  const b = await startBeckon(ctx, `calls${run}`, sim, { worker: false });
  try {
    return await withQueueHandle(b.prefix, async (queue) => {
      // Accept every request first with the queue held, so the ramp measures the worker alone.
      await queue.pause();
      const tally = await burstLoad({ base: b.base, count: n, concurrency: 32, phones: () => ctx.phones.next() });
      if (tally.refused.length || tally.errors.length) problems.push(`${label}: ${tally.refused.length} refused, ${tally.errors.length} errors (${tally.refused[0]?.body ?? tally.errors[0]})`);
      const ids = tally.accepted.map((a) => a.id);
      const worker = await b.startWorker();
      const sampler = new ProcSampler(worker.pid, 200);
      await sleep(1000);
      sim.clearOriginates();
      tap.reset();
      const p: Phases = { idleAt: Date.now() - 200, rampStart: Date.now(), allUp: 0, holdEnd: 0, hangup: 0, allEnded: 0, held: 0, rampCores: NaN };
      const machine = machineCpuMark();
      await queue.resume();
      p.held = await untilCount(() => bridgedCalls(sim, 'bk-'), ids.length, { timeoutMs: 120_000, stallMs: 15_000 });
      p.allUp = Date.now();
      p.rampCores = machine.coresBusy();
      if (p.held < ids.length) problems.push(`${label}: only ${p.held} of ${ids.length} calls were bridged at once (${describeSimCalls(sim, 'bk-')})`);
      await sleep(ctx.plan.holdSec * 1000);
      p.holdEnd = Date.now();
      const { rows: [conn] } = await b.db.pool.query(`SELECT count(*)::int AS n FROM call_attempts WHERE state = 'connected'`);
      if (conn.n !== p.held) problems.push(`${label}: the worker has ${conn.n} attempts connected, the simulator ${p.held} calls bridged`);
      p.hangup = Date.now();
      await hangUpVisitors(sim, 'bk-v-', HANGUP_SPREAD_MS);
      const open = await waitForFinal(b.db.pool, ids, 90_000);
      p.allEnded = Date.now();
      sampler.stop();
      if (open) problems.push(`${label}: ${open} requests still open 90 s after the hang-up`);
      for (const x of checkCalls({ acceptedIds: ids, rows: await loadRequestRows(b.db.pool, ids), originates: sim.originates(), expectOutcome: 'answered', expectStatus: 'completed' })) problems.push(`${label}: ${x}`);
      if (!(await until(() => sim.channels().length === 0, 10_000))) problems.push(`${label}: ${sim.channels().length} channels left up at the simulator`);
      logProblems.push(...b.logProblems());
      return summarizeRun(p, sampler, tap);
    });
  } finally {
    await b.stop();
  }
}

async function bareRun(ctx: BenchContext, sim: Sim, tap: EventTap, n: number, run: number, problems: string[]): Promise<HoldRun> {
  const label = `bare ARI client run ${run}`;
  const bare = await spawnBareAri(ctx, sim, `bare-ari-calls${run}`, ctx.phones.take(n), CALLEE);
  try {
    const sampler = new ProcSampler(bare.child.pid, 200);
    await sleep(1000);
    sim.clearOriginates();
    tap.reset();
    const p: Phases = { idleAt: Date.now() - 200, rampStart: Date.now(), allUp: 0, holdEnd: 0, hangup: 0, allEnded: 0, held: 0, rampCores: NaN };
    const machine = machineCpuMark();
    bare.go();
    p.held = await untilCount(() => bridgedCalls(sim, 'bare-'), n, { timeoutMs: 120_000, stallMs: 15_000 });
    p.allUp = Date.now();
    p.rampCores = machine.coresBusy();
    if (p.held < n) problems.push(`${label}: only ${p.held} of ${n} calls were bridged at once (${describeSimCalls(sim, 'bare-')})`);
    await sleep(ctx.plan.holdSec * 1000);
    p.holdEnd = Date.now();
    p.hangup = Date.now();
    await hangUpVisitors(sim, 'bare-v-', HANGUP_SPREAD_MS);
    if (!(await until(() => sim.channels().length === 0, 90_000))) problems.push(`${label}: ${sim.channels().length} channels left up`);
    p.allEnded = Date.now();
    sampler.stop();
    return summarizeRun(p, sampler, tap);
  } finally {
    await bare.child.stop();
  }
}

/**
 * 1,000 bridged calls held at once by one worker: worker memory and CPU sampled from /proc, the ARI events it
 * was sent counted by a tap on the simulator, and every request checked to end `completed` with one answered
 * attempt. The bare ARI client carries the same calls with the same ARI requests as the baseline.
 */
export async function benchConcurrentCalls(ctx: BenchContext): Promise<ConcurrentResult> {
  const n = ctx.plan.concurrentCalls;
  const sim = await startSim({ timeScale: TIME_SCALE });
  sim.setRules(RULES);
  const tap = await EventTap.open(sim.ariUrl);
  const problems: string[] = [];
  const logProblems: string[] = [];
  const result: ConcurrentResult = { calls: n, beckon: [], bare: [], median: undefined as never, problems, logProblems };
  try {
    for (let i = 1; i <= ctx.plan.runs; i++) {
      const x = await beckonRun(ctx, sim, tap, n, i, problems, logProblems);
      result.beckon.push(x);
      const y = await bareRun(ctx, sim, tap, n, i, problems);
      result.bare.push(y);
      ctx.progress(`${n} calls run ${i}/${ctx.plan.runs}: beckon held ${x.held}, RSS ${x.rssPeakMb.toFixed(0)} MB (idle ${x.rssIdleMb.toFixed(0)}), CPU ramp ${x.cpuRampPct.toFixed(0)}% (machine ${x.machineRampCores.toFixed(2)} cores), ${x.eventsPerSec.toFixed(0)} ev/s; bare held ${y.held}, RSS ${y.rssPeakMb.toFixed(0)} MB, CPU ramp ${y.cpuRampPct.toFixed(0)}% (machine ${y.machineRampCores.toFixed(2)} cores), ${y.eventsPerSec.toFixed(0)} ev/s`);
    }
    result.median = { beckon: medianRun(result.beckon), bare: medianRun(result.bare) };
    return result;
  } finally {
    tap.close();
    await sim.close();
  }
}
