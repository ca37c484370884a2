import type { Sim } from '../../../src/sim/index.ts';
import { beckonEnv, benchRedisPrefix, createBenchDb, dropRedisPrefix, type BenchDb } from './bench-env.ts';
import { countLogProblems, freePort, spawnNode, waitForLog, type Child } from './children.ts';
import type { BenchContext } from './context.ts';

/** A worker to start: the Asterisk node it serves (ASTERISK_NODE) and that node's simulator. */
export interface NodeWorker { node: string; sim: Sim }

export interface Cluster {
  db: BenchDb;
  prefix: string;
  /** one base URL per web process */
  bases: string[];
  webs: Child[];
  workers: Child[];
  /** Starts every worker at once and waits until each has said it started. */
  startWorkers(): Promise<Child[]>;
  logProblems(): string[];
  stop(): Promise<void>;
}

/**
 * Several `beckon web` and `beckon worker` children sharing one fresh database and one Redis prefix, as an
 * installation scaled out runs them: each web process on its own port, each worker serving its own node
 * (its simulator's ARI and AMI, its own WORKER_ID).
 */
export async function startCluster(ctx: BenchContext, label: string, o: { webs: number; workers: NodeWorker[] }): Promise<Cluster> {
  const db = await createBenchDb(label);
  const prefix = benchRedisPrefix(label);
  const anySim = o.workers[0]?.sim;
  const webs: Child[] = [];
  const bases: string[] = [];
  const workers: Child[] = [];
  const prof = (name: string) => (ctx.profile.has(name) ? ctx.profDir : undefined);
  const cluster: Cluster = {
    db, prefix, bases, webs, workers,
    async startWorkers() {
      const started = o.workers.map((w, i) => {
        const workerId = `bench-${label}-${w.node}-${i + 1}-${process.pid}`;
        const env = beckonEnv({ dbUrl: db.url, prefix, ariUrl: w.sim.ariUrl, amiPort: w.sim.amiPort, workerId, extra: { ASTERISK_NODE: w.node } });
        const child = spawnNode({ name: `${label}-worker-${w.node}${i + 1}`, args: ['src/main/cli.ts', 'worker'], env, logDir: ctx.logDir, cpuProfDir: prof('worker') });
        workers.push(child);
        return child;
      });
      await Promise.all(started.map((c) => waitForLog(c, '"msg":"worker started"')));
      return started;
    },
    logProblems() {
      const out: string[] = [];
      for (const c of [...webs, ...workers]) {
        const lp = countLogProblems(c);
        if (lp.warn || lp.error) out.push(`${c.name} logged ${lp.error} errors and ${lp.warn} warnings, e.g. ${lp.sample[0]}`);
      }
      return out;
    },
    async stop() {
      await Promise.all(workers.map((c) => c.stop()));
      await Promise.all(webs.map((c) => c.stop()));
      await dropRedisPrefix(prefix);
      await db.drop();
    },
  };
  try {
    for (let i = 0; i < o.webs; i++) {
      const port = await freePort();
      const env = beckonEnv({ dbUrl: db.url, prefix, port, ariUrl: anySim?.ariUrl, amiPort: anySim?.amiPort, workerId: `bench-${label}-web${i + 1}-${process.pid}` });
      webs.push(spawnNode({ name: `${label}-web${i + 1}`, args: ['src/main/cli.ts', 'web'], env, logDir: ctx.logDir, cpuProfDir: prof('web') }));
      bases.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(webs.map((w) => waitForLog(w, '"msg":"web listening"')));
  } catch (err) {
    await cluster.stop().catch(() => {});
    throw err;
  }
  return cluster;
}
