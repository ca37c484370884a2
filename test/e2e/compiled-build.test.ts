import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { killLeft, startWorkerProcess } from '../helpers/worker-process.ts';
import { until } from '../helpers/wait-for.ts';

/**
 * The compiled build, as the image runs it (`npm run build`, then `node dist/main/cli.js <command>`): tsc writes
 * the build into a folder of this test's own directly under the package root (where dist/ is, so the paths the
 * code takes from its own location hold), and its web, worker and migrate commands run against a test stack.
 * What a compiled build reads from src/ at run time (the SQL migrations, the browser bundles' entries) must be
 * found from there.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, `.build-test-${randomBytes(4).toString('hex')}`);
const CLI = [join(OUT, 'main', 'cli.js')];

let s: Stack;
const children = new Set<ChildProcess>();

test.before(async () => {
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', OUT], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`the build failed:\n${tsc.stdout}${tsc.stderr}`);
  s = await startStack({ label: 'compiled', worker: false });
});
test.after.always(async () => {
  killLeft(children);
  await s?.close();
  rmSync(OUT, { recursive: true, force: true });
});

function run(command: string, env: Record<string, string>): { proc: ChildProcess; out: () => string } {
  const proc = spawn(process.execPath, [...CLI, command], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let text = '';
  proc.stdout!.on('data', (d) => { text += String(d); });
  proc.stderr!.on('data', (d) => { text += String(d); });
  return { proc, out: () => text };
}

test.serial('the compiled migrate finds the migrations in src/ and finds nothing left to apply on a migrated database', async (t) => {
  const m = run('migrate', { ...s.env, LOG_LEVEL: 'info' });
  const code = await new Promise<number | null>((r) => m.proc.on('exit', r));
  t.is(code, 0, m.out());
});

test.serial('the compiled web serves its pages and the widget bundles it builds from src/ at start', async (t) => {
  const web = run('web', { ...s.env, LOG_LEVEL: 'info', PORT: '0' });
  t.true(await until(() => /"web listening"/.test(web.out()) || web.proc.exitCode !== null, 45_000), web.out());
  const port = Number(/"port":(\d+),[^\n]*"web listening"/.exec(web.out())?.[1]);
  t.true(port > 0, web.out());
  const base = `http://127.0.0.1:${port}`;
  t.is((await fetch(`${base}/healthz`)).status, 200);
  t.is((await fetch(`${base}/c/demo`)).status, 200);
  const loader = await (await fetch(`${base}/widget.js`)).text();
  const bundle = /"widget\/(widget-[0-9a-f]{16}\.js)"/.exec(loader)?.[1];
  t.truthy(bundle, loader);
  const js = await fetch(`${base}/widget/${bundle}`);
  t.is(js.status, 200);
  t.true((await js.text()).length > 10_000, 'the bundled widget');
  // The agent console's softphone is bundled at start beside the widget (by then done or nearly); a failure
  // is logged at error level.
  await until(() => web.out().includes('"level":50'), 3_000);
  t.false(web.out().includes('"level":50'), web.out());
  web.proc.kill('SIGTERM');
});

test.serial('the compiled worker dials a request the stack accepted, to its end', async (t) => {
  const worker = await startWorkerProcess({ ...s.env, WORKER_ID: 'compiled-worker' }, children, 45_000, CLI);
  const r = await request(s.base, '+1 202 555 0161');
  t.is(r.status, 202, r.text);
  const final = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 30_000);
  t.is(final?.status, 'completed', JSON.stringify(final));
  t.false(worker.log().includes('"level":50'), worker.log());
  await worker.kill('SIGTERM');
});
