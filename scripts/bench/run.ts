import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, buildChildren } from './lib/children.ts';
import { FULL_PLAN, QUICK_PLAN, type BenchContext } from './lib/context.ts';
import { buildFigures, METHOD, type Results } from './lib/figures.ts';
import { describeMachine } from './lib/machine.ts';
import { PhoneSequence } from './lib/phones.ts';
import { renderReport, verdict } from './lib/report.ts';
import { benchAccept } from './scenarios/accept.ts';
import { benchBusyWorkerDial } from './scenarios/busy-worker-dial.ts';
import { benchChat } from './scenarios/chat.ts';
import { benchConcurrentCalls } from './scenarios/concurrent-calls.ts';
import { benchDialRate } from './scenarios/dial-rate.ts';
import { benchScale } from './scenarios/scale.ts';
import { benchTimeToDial } from './scenarios/time-to-dial.ts';
import { benchWebcallSetup } from './scenarios/webcall-setup.ts';
import { benchWebhooks } from './scenarios/webhooks.ts';
import { benchWidgetLoad } from './scenarios/widget-load.ts';
import { benchWidgetSize } from './scenarios/widget-size.ts';

/**
 * `npm run bench`: accept path, time to dial, concurrent calls and dial rate, each next to a baseline in the
 * same run, and scale-out (two web processes next to one, two workers on two nodes next to one), checked, and
 * written to bench/RESULTS.md (BENCH_QUICK=1: a ~1 minute smoke run, printed and
 * written to the temp directory, never over the committed results).
 *
 * BENCH_ONLY=accept,dial,busydial,calls,rate,scale,widget,webcall,chat,webhooks,widgetload runs a subset (widget: the sizes visitors download, no load); BENCH_PROFILE=web,worker,bare-ari writes V8 CPU profiles
 * of those children (summarize with scripts/bench/profile-summary.ts); BENCH_NODE_FLAGS adds Node flags to every
 * child (e.g. --trace-gc); BENCH_OUT overrides the output file.
 * Exits 1 when the self-check finds a problem.
 */
const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
const only = new Set((process.env.BENCH_ONLY ?? 'accept,dial,busydial,calls,rate,scale,widget,webcall,chat,webhooks,widgetload').split(',').map((s) => s.trim()));
const workDir = join(os.tmpdir(), `beckon-bench-${new Date().toISOString().replace(/[:.]/g, '-')}`);
const started = Date.now();
const ctx: BenchContext = {
  plan: quick ? QUICK_PLAN : FULL_PLAN,
  quick,
  // A different stretch of numbers per run of the bench, so even a reused Redis never sees a number twice.
  phones: new PhoneSequence((Date.now() % 1_000_000) * 50),
  logDir: join(workDir, 'logs'),
  profDir: join(workDir, 'profiles'),
  profile: new Set((process.env.BENCH_PROFILE ?? '').split(',').filter(Boolean)),
  progress: (msg) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`),
};
mkdirSync(ctx.logDir, { recursive: true });
ctx.progress(`${quick ? 'quick' : 'full'} bench; child logs in ${ctx.logDir}`);
ctx.progress('npm run build (the children run compiled, as production does)...');
buildChildren();

const machine = await describeMachine();
const results: Results = {};
const problems: string[] = [];
const notes: string[] = [];

async function scenario<T>(key: string, name: string, fn: (c: BenchContext) => Promise<T & { problems: string[] }>): Promise<T | undefined> {
  if (!only.has(key)) return undefined;
  ctx.progress(`${name}...`);
  try {
    const r = await fn(ctx);
    problems.push(...r.problems);
    const lp = (r as { logProblems?: string | string[] }).logProblems;
    for (const l of (Array.isArray(lp) ? lp : lp ? [lp] : [])) notes.push(l);
    notes.push(...((r as { notes?: string[] }).notes ?? []));
    return r;
  } catch (err) {
    problems.push(`${name} did not complete: ${(err as Error).stack ?? err}`);
    return undefined;
  }
}

results.accept = await scenario('accept', 'accept path', benchAccept);
results.timeToDial = await scenario('dial', 'time to dial', benchTimeToDial);
results.busyDial = await scenario('busydial', 'time to dial with calls held', benchBusyWorkerDial);
results.concurrent = await scenario('calls', 'concurrent calls', benchConcurrentCalls);
results.dialRate = await scenario('rate', 'dial rate', benchDialRate);
results.scale = await scenario('scale', 'scale-out', benchScale);
results.widget = await scenario('widget', 'widget sizes', benchWidgetSize);
results.webcall = await scenario('webcall', 'web call set-up', benchWebcallSetup);
results.chat = await scenario('chat', 'chat across web processes', (c) => benchChat(c));
results.webhooks = await scenario('webhooks', 'webhook deliveries', benchWebhooks);
results.widgetLoad = await scenario('widgetload', 'widget first load in Chromium', benchWidgetLoad);

if (ctx.profile.size) notes.push(`CPU profiles written to ${ctx.profDir} (summarize: node --import tsx scripts/bench/profile-summary.ts <file>).`);
const report = renderReport({
  date: new Date(started), quick, runs: ctx.plan.runs, durationSec: (Date.now() - started) / 1000,
  machine: { ...machine, loadAfter: os.loadavg() }, figures: buildFigures(results), problems, notes, method: METHOD,
});
const out = process.env.BENCH_OUT ?? (quick ? join(workDir, 'RESULTS.md') : join(ROOT, 'bench', 'RESULTS.md'));
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, report);
process.stdout.write(`${report}\nwritten to ${out}\n`);
const missed = buildFigures(results).filter((f) => verdict(f) === 'missed').length;
if (missed) process.stderr.write(`${missed} target(s) missed (see the table).\n`);
if (problems.length) {
  process.stderr.write(`SELF-CHECK FAILED: ${problems.length} problem(s); the figures cannot be trusted.\n`);
  process.exit(1);
}
process.exit(0);
