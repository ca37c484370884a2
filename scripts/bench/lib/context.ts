import type { PhoneSequence } from './phones.ts';

/** How long and how hard each scenario runs. The full plan fits in ~10 minutes on 2 cores; quick in ~1. */
export interface BenchPlan {
  /** runs per figure; the report gives the median */
  runs: number;
  acceptSec: number;
  acceptConnections: number;
  /** steady request rates for time to dial, each for some seconds (short at high rates: the queue must drain) */
  dialRates: { rate: number; sec: number }[];
  /** calls held at once */
  concurrentCalls: number;
  /** seconds all calls stay bridged while memory and CPU are sampled */
  holdSec: number;
  /** requests in the dial-rate burst */
  dialBurst: number;
  /**
   * Load before the time-to-dial figures, not counted (but checked), the same for Beckon and its baselines:
   * fresh processes on a fresh database take ~10 s of load to settle (JIT, pools, the new tables' first
   * statistics). With 50 requests over 1 s the first of three runs at 100 req/s had a p50 of 15-22 ms and the
   * third 5.6 ms; after 8 s at 100 req/s all three are alike.
   */
  dialWarmUp: { rate: number; sec: number };
}

export const FULL_PLAN: BenchPlan = {
  runs: 3, acceptSec: 6, acceptConnections: 32, dialRates: [{ rate: 100, sec: 15 }, { rate: 500, sec: 6 }], concurrentCalls: 5000, holdSec: 5, dialBurst: 1200,
  dialWarmUp: { rate: 100, sec: 8 },
};

export const QUICK_PLAN: BenchPlan = {
  runs: 1, acceptSec: 3, acceptConnections: 32, dialRates: [{ rate: 100, sec: 3 }], concurrentCalls: 100, holdSec: 1, dialBurst: 200,
  dialWarmUp: { rate: 50, sec: 1 },
};

export interface BenchContext {
  plan: BenchPlan;
  quick: boolean;
  phones: PhoneSequence;
  logDir: string;
  profDir: string;
  /** children to run under node --cpu-prof (BENCH_PROFILE=web,worker) */
  profile: ReadonlySet<string>;
  progress(msg: string): void;
}
