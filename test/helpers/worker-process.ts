import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A `beckon worker` running as its own process (so a test can kill -9 it), with its output kept. */
export interface WorkerProcess {
  proc: ChildProcess;
  out: string[];
  exited: Promise<number | null>;
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function until<T>(fn: () => T | Promise<T>, ms = 15000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Starts `beckon worker` with the environment `env` (logging at info, or WORKER_LOG_LEVEL); resolves once it logged "worker started". */
export async function startWorkerProcess(env: Record<string, string>, children?: Set<ChildProcess>): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'worker'], {
    cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: env.WORKER_LOG_LEVEL ?? 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children?.add(proc);
  const out: string[] = [];
  const keep = (d: Buffer) => { out.push(String(d)); if (process.env.FAULTS_LOG) appendFileSync(process.env.FAULTS_LOG, String(d)); };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const ok = await until(() => out.join('').includes('"worker started"') || proc.exitCode !== null, 45000);
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
