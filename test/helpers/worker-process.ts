import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { until } from './wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A `beckon worker` running as its own process (so a test can kill -9 it), with its output kept. */
export interface WorkerProcess {
  proc: ChildProcess;
  out: string[];
  exited: Promise<number | null>;
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How the CLI is started: its sources through tsx, as `npm run beckon` does. */
export const CLI_FROM_SOURCE = ['--import', 'tsx', 'src/main/cli.ts'];

/**
 * Starts `beckon worker` with the environment `env` (logging at info, or WORKER_LOG_LEVEL); resolves once it
 * logged "worker started", and throws with its output when it has not within `startMs`. The process joins
 * `children` (see killLeft). `cli` is how the CLI is started (a compiled build: `['<out>/main/cli.js']`).
 */
export async function startWorkerProcess(env: Record<string, string>, children?: Set<ChildProcess>, startMs = 45000, cli = CLI_FROM_SOURCE): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, [...cli, 'worker'], {
    cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: env.WORKER_LOG_LEVEL ?? 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children?.add(proc);
  const out: string[] = [];
  const keep = (d: Buffer) => { out.push(String(d)); if (process.env.FAULTS_LOG) appendFileSync(process.env.FAULTS_LOG, String(d)); };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const ok = await until(() => out.join('').includes('"worker started"') || proc.exitCode !== null, startMs);
  if (!ok || proc.exitCode !== null) throw new Error(`worker did not start:\n${out.join('').slice(-3000)}`);
  return {
    proc, out, exited,
    log: () => out.join(''),
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Kills (SIGKILL) every process of `children` still running and empties the set: a test's teardown. */
export function killLeft(children: Set<ChildProcess>): void {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  children.clear();
}
