import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildSync } from 'esbuild';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Beckon's CLI as a child names it, and where the compiled build has it. */
const CLI_SOURCE = 'src/main/cli.ts';
const CLI_COMPILED = 'dist/main/cli.js';
/** Where the bench's own helper processes (baselines, watchers) are compiled to; under the root so packages resolve. */
const HELPERS_OUT = join(ROOT, 'bench', 'tmp', 'compiled');

/**
 * Compiles what the children run, once per bench: Beckon as production runs it (`npm run build`, then
 * `node dist/main/cli.js`), and each baseline or helper script bundled alone by esbuild (its packages left as
 * imports), so Beckon and its baselines start alike, without a TypeScript loader in the process.
 */
export function buildChildren(): void {
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`npm run build failed:\n${tsc.stdout}${tsc.stderr}`);
}

const compiledHelpers = new Map<string, string>();
/** The JavaScript a child runs for `script` (a path under the root): Beckon's compiled CLI, or the helper bundled. */
function compiled(script: string): string {
  if (script === CLI_SOURCE) return CLI_COMPILED;
  if (!script.endsWith('.ts')) return script;
  let out = compiledHelpers.get(script);
  if (!out) {
    out = join(HELPERS_OUT, script.replace(/\.ts$/, '.mjs'));
    buildSync({ entryPoints: [join(ROOT, script)], outfile: out, bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
    compiledHelpers.set(script, out);
  }
  return out;
}

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  logFile: string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  exited: boolean;
}

export interface SpawnOptions {
  name: string;
  /** Script (a TypeScript file, run compiled: see buildChildren) and arguments, relative to the repository root. */
  args: string[];
  env: Record<string, string>;
  logDir: string;
  /** Write a V8 CPU profile (node --cpu-prof) into this directory when the child exits. */
  cpuProfDir?: string;
}

/**
 * A separate Node process, so the load generator never shares an event loop with what it measures.
 * Output goes to a log file: pino writes synchronously as it would to a production log, and the bench
 * reads the file for readiness lines.
 */
export function spawnNode(o: SpawnOptions): Child {
  mkdirSync(o.logDir, { recursive: true });
  const logFile = join(o.logDir, `${o.name}.log`);
  const fd = openSync(logFile, 'w');
  // BENCH_NODE_FLAGS: extra Node flags for every child, for looking into a figure (e.g. --trace-gc).
  const nodeArgs = [...(process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)];
  if (o.cpuProfDir) {
    // One directory per child: Node writes one profile per thread.
    const dir = join(o.cpuProfDir, o.name);
    mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const proc = spawn(process.execPath, [...nodeArgs, compiled(o.args[0]!), ...o.args.slice(1)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', USER: process.env.USER ?? 'root', ...o.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const child: Child = {
    name: o.name,
    pid: proc.pid!,
    proc,
    logFile,
    exited: false,
    async stop(graceMs = 10_000) {
      if (child.exited) return;
      const done = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const killed = await Promise.race([done.then(() => false), sleep(graceMs).then(() => true)]);
      if (killed) { proc.kill('SIGKILL'); await done; }
    },
  };
  proc.once('exit', () => { child.exited = true; });
  return child;
}

/** Waits until the child's log contains `needle`; fails with the log's tail if the child dies or time runs out. */
export async function waitForLog(child: Child, needle: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = readFileSync(child.logFile, 'utf8');
    if (text.includes(needle)) return;
    if (child.exited) throw new Error(`${child.name} exited before it was ready:\n${tail(text)}`);
    await sleep(50);
  }
  throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${tail(readFileSync(child.logFile, 'utf8'))}`);
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Counts log lines at level warn (40) or above: errors during a run are reported, not hidden. */
export function countLogProblems(child: Child): { warn: number; error: number; sample: string[] } {
  let warn = 0;
  let error = 0;
  const sample: string[] = [];
  for (const line of readFileSync(child.logFile, 'utf8').split('\n')) {
    const m = /"level":(\d+)/.exec(line);
    if (!m) continue;
    const level = Number(m[1]);
    if (level >= 50) error++;
    else if (level >= 40) warn++;
    else continue;
    if (sample.length < 5) sample.push(line.slice(0, 300));
  }
  return { warn, error, sample };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
