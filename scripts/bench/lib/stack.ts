import type { Sim } from '../../../src/sim/index.ts';
import { beckonEnv, benchRedisPrefix, createBenchDb, dropRedisPrefix, type BenchDb } from './bench-env.ts';
import { countLogProblems, freePort, spawnNode, waitForLog, type Child } from './children.ts';
import type { BenchContext } from './context.ts';

export interface BeckonProcs {
  db: BenchDb;
  prefix: string;
  base: string;
  web: Child;
  worker: Child | null;
  workerApp: string;
  /** Starts the worker (when it was not started with the web, e.g. to drain a filled queue). */
  startWorker(): Promise<Child>;
  /** warnings and errors the children logged, for the report */
  logProblems(): string[];
  stop(): Promise<void>;
}

/**
 * `beckon web` and `beckon worker` as child processes, as production runs them, against a fresh database,
 * a private Redis prefix and the simulator running in the bench process.
 */
export async function startBeckon(ctx: BenchContext, label: string, sim: Sim, o: { worker: boolean; workerEnv?: Record<string, string> }): Promise<BeckonProcs> {
  const db = await createBenchDb(label);
  const prefix = benchRedisPrefix(label);
  const port = await freePort();
  const workerId = `bench-${label}-${process.pid}`;
  const env = beckonEnv({ dbUrl: db.url, prefix, port, ariUrl: sim.ariUrl, amiPort: sim.amiPort, workerId, extra: o.workerEnv });
  const prof = (name: string) => (ctx.profile.has(name) ? ctx.profDir : undefined);
  const web = spawnNode({ name: `${label}-web`, args: ['src/main/cli.ts', 'web'], env, logDir: ctx.logDir, cpuProfDir: prof('web') });
  let worker: Child | null = null;
  const procs: BeckonProcs = {
    db, prefix, base: `http://127.0.0.1:${port}`, web, worker: null, workerApp: `${env.ARI_APP ?? 'beckon'}-${workerId}`,
    async startWorker() {
      worker = spawnNode({ name: `${label}-worker`, args: ['src/main/cli.ts', 'worker'], env, logDir: ctx.logDir, cpuProfDir: prof('worker') });
      procs.worker = worker;
      await waitForLog(worker, '"msg":"worker started"');
      return worker;
    },
    logProblems() {
      const out: string[] = [];
      for (const c of [web, worker]) {
        if (!c) continue;
        const lp = countLogProblems(c);
        if (lp.warn || lp.error) out.push(`${c.name} logged ${lp.error} errors and ${lp.warn} warnings, e.g. ${lp.sample[0]}`);
      }
      return out;
    },
    async stop() {
      await worker?.stop();
      await web.stop();
      await dropRedisPrefix(prefix);
      await db.drop();
    },
  };
  try {
    await waitForLog(web, '"msg":"web listening"');
    if (o.worker) await procs.startWorker();
  } catch (err) {
    await procs.stop().catch(() => {});
    throw err;
  }
  return procs;
}
