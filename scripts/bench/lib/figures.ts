import os from 'node:os';
import type { AcceptResult } from '../scenarios/accept.ts';
import type { BusyWorkerDialResult } from '../scenarios/busy-worker-dial.ts';
import { CHAT_METHOD, chatFigures, type ChatResult } from '../scenarios/chat.ts';
import { WEBCALL_SETUP_METHOD, webcallSetupFigures, type WebcallSetupResult } from '../scenarios/webcall-setup.ts';
import { WEBHOOKS_METHOD, webhookFigures, type WebhooksResult } from '../scenarios/webhooks.ts';
import { WIDGET_LOAD_METHOD, widgetLoadFigures, type WidgetLoadResult } from '../scenarios/widget-load.ts';
import type { ConcurrentResult } from '../scenarios/concurrent-calls.ts';
import type { DialRateResult } from '../scenarios/dial-rate.ts';
import type { ScaleResult } from '../scenarios/scale.ts';
import type { TimeToDialResult } from '../scenarios/time-to-dial.ts';
import type { WidgetSizeResult } from '../scenarios/widget-size.ts';
import type { Figure } from './report.ts';

export interface Results { accept?: AcceptResult; timeToDial?: TimeToDialResult; busyDial?: BusyWorkerDialResult; concurrent?: ConcurrentResult; dialRate?: DialRateResult; scale?: ScaleResult; widget?: WidgetSizeResult;
  webcall?: WebcallSetupResult; chat?: ChatResult; webhooks?: WebhooksResult; widgetLoad?: WidgetLoadResult }

/**
 * The targets, measured the way the bench measures them. Ratios are to the same-run baseline; absolute
 * figures (CPU per request) were set on a 2-core VM and move with the machine.
 */
export const TARGETS = {
  acceptRps: 2000,
  acceptP99Ms: 50,
  acceptShareOfBare: 0.25,
  acceptCpuMs: 0.18,
  dialP99MsAt100: 100,
  dialP99MsUnderLoad: 20,
  concurrentCalls: 5000,
  workerRssMb: 500,
  eventsShareOfBare: 0.9,
  originatesPerSec: 200,
  dialRateShareOfBare: 0.9,
} as const;

/** Turns the scenarios' medians into table lines; a scenario that did not run shows as n/a. */
export function buildFigures(r: Results): Figure[] {
  const f: Figure[] = [];
  const a = r.accept?.median;
  const conns = r.accept?.connections ?? 0;
  f.push({ name: `Accept: requests/s (${conns} connections)`, unit: 'req/s', ours: a?.beckon.rps ?? NaN, baseline: a?.bare.rps ?? NaN, baselineName: 'bare Koa',
    target: { direction: 'min', limit: TARGETS.acceptRps, text: `≥ ${TARGETS.acceptRps.toLocaleString('en-US')} req/s` } });
  f.push({ name: 'Accept: share of bare Koa throughput', unit: 'req/s', ours: a?.beckon.rps ?? NaN, baseline: a?.bare.rps ?? NaN, baselineName: 'bare Koa',
    target: { direction: 'min', limit: TARGETS.acceptShareOfBare, on: 'ratio', text: `≥ ${TARGETS.acceptShareOfBare * 100}% of bare Koa` } });
  f.push({ name: 'Accept: server CPU per request', unit: 'ms', ours: a?.beckon.cpuMsPerReq ?? NaN, baseline: a?.bare.cpuMsPerReq ?? NaN, baselineName: 'bare Koa',
    target: { direction: 'max', limit: TARGETS.acceptCpuMs, text: `≤ ${TARGETS.acceptCpuMs} ms` } });
  f.push({ name: 'Accept: PostgreSQL server CPU per request', unit: 'ms', ours: a?.beckon.pgCpuMsPerReq ?? NaN, baseline: null, baselineName: null });
  f.push({ name: 'Accept: p50 latency', unit: 'ms', ours: a?.beckon.p50 ?? NaN, baseline: a?.bare.p50 ?? NaN, baselineName: 'bare Koa' });
  f.push({ name: 'Accept: p99 latency', unit: 'ms', ours: a?.beckon.p99 ?? NaN, baseline: a?.bare.p99 ?? NaN, baselineName: 'bare Koa',
    target: { direction: 'max', limit: TARGETS.acceptP99Ms, text: `≤ ${TARGETS.acceptP99Ms} ms` } });

  for (const rate of r.timeToDial?.rates ?? []) {
    const m = rate.median;
    // The bare pipeline often dials before the client has read its 202: a ratio to ~0 ms says nothing.
    f.push({ name: `Time to dial at ${rate.rate} req/s: p50`, unit: 'ms', ours: m.beckon.p50, baseline: m.bare.p50, baselineName: 'bare pipeline', ratioFloor: 1 });
    f.push({ name: `Time to dial at ${rate.rate} req/s: p99`, unit: 'ms', ours: m.beckon.p99, baseline: m.bare.p99, baselineName: 'bare pipeline', ratioFloor: 1,
      ...(rate.rate === 100 ? { target: { direction: 'max' as const, limit: TARGETS.dialP99MsAt100, text: `≤ ${TARGETS.dialP99MsAt100} ms` } } : {}),
      ...(rate.rate >= 500 ? { target: { direction: 'max' as const, limit: TARGETS.dialP99MsUnderLoad, text: `≤ ${TARGETS.dialP99MsUnderLoad} ms` } } : {}) });
  }
  if (!r.timeToDial) f.push({ name: 'Time to dial', unit: 'ms', ours: NaN, baseline: NaN, baselineName: 'bare pipeline' });
  const bd = r.busyDial;
  const heldText = (bd?.held ?? 1000).toLocaleString('en-US');
  f.push({ name: `Time to dial at ${bd?.rate ?? 100} req/s with ${heldText} calls held by the worker: p50`, unit: 'ms', ours: bd?.median.busy.p50 ?? NaN, baseline: bd?.median.idle.p50 ?? NaN, baselineName: 'same worker idle', ratioFloor: 1 });
  f.push({ name: `Time to dial at ${bd?.rate ?? 100} req/s with ${heldText} calls held by the worker: p99`, unit: 'ms', ours: bd?.median.busy.p99 ?? NaN, baseline: bd?.median.idle.p99 ?? NaN, baselineName: 'same worker idle', ratioFloor: 1,
    target: { direction: 'max', limit: TARGETS.dialP99MsUnderLoad, text: `≤ ${TARGETS.dialP99MsUnderLoad} ms` } });

  const c = r.concurrent;
  const n = c?.calls ?? TARGETS.concurrentCalls;
  const full = n >= TARGETS.concurrentCalls;
  f.push({ name: 'Concurrent calls: bridged at once by one worker', unit: 'calls', ours: c?.median.beckon.held ?? NaN, baseline: c?.median.bare.held ?? NaN, baselineName: 'bare ARI client',
    target: { direction: 'min', limit: n, text: full ? `${TARGETS.concurrentCalls.toLocaleString('en-US')} calls, all ending answered` : `all ${n} (quick run; the target is ${TARGETS.concurrentCalls.toLocaleString('en-US')})` } });
  f.push({ name: `Concurrent calls: worker RSS, peak with ${n.toLocaleString('en-US')} calls`, unit: 'MB', ours: c?.median.beckon.rssPeakMb ?? NaN, baseline: c?.median.bare.rssPeakMb ?? NaN, baselineName: 'bare ARI client',
    ...(full ? { target: { direction: 'max' as const, limit: TARGETS.workerRssMb, text: `≤ ${TARGETS.workerRssMb} MB` } } : {}) });
  f.push({ name: 'Concurrent calls: worker RSS, idle before the calls', unit: 'MB', ours: c?.median.beckon.rssIdleMb ?? NaN, baseline: c?.median.bare.rssIdleMb ?? NaN, baselineName: 'bare ARI client' });
  f.push({ name: 'Concurrent calls: worker CPU while setting calls up', unit: '%', ours: c?.median.beckon.cpuRampPct ?? NaN, baseline: c?.median.bare.cpuRampPct ?? NaN, baselineName: 'bare ARI client' });
  f.push({ name: `Concurrent calls: cores busy while setting calls up (the whole machine, of ${os.cpus().length})`, unit: 'n', ours: c?.median.beckon.machineRampCores ?? NaN, baseline: c?.median.bare.machineRampCores ?? NaN, baselineName: 'bare ARI client' });
  f.push({ name: 'Concurrent calls: worker CPU while holding them', unit: '%', ours: c?.median.beckon.cpuHoldPct ?? NaN, baseline: c?.median.bare.cpuHoldPct ?? NaN, baselineName: 'bare ARI client', ratioFloor: 2 });
  f.push({ name: 'Concurrent calls: ARI events handled per second', unit: 'ev/s', ours: c?.median.beckon.eventsPerSec ?? NaN, baseline: c?.median.bare.eventsPerSec ?? NaN, baselineName: 'bare ARI client',
    target: { direction: 'min', limit: TARGETS.eventsShareOfBare, on: 'ratio', text: `≥ ${TARGETS.eventsShareOfBare * 100}% of the bare client` } });

  const d = r.dialRate;
  f.push({ name: `Dial rate: originates/s one worker sustains (${(d?.burst ?? 0).toLocaleString('en-US')} queued)`, unit: '/s', ours: d?.median.beckon ?? NaN, baseline: d?.median.bare ?? NaN, baselineName: 'bare ARI client',
    target: { direction: 'min', limit: TARGETS.originatesPerSec, text: `≥ ${TARGETS.originatesPerSec} /s` } });
  f.push({ name: 'Dial rate: share of the bare client\'s rate', unit: '/s', ours: d?.median.beckon ?? NaN, baseline: d?.median.bare ?? NaN, baselineName: 'bare ARI client',
    target: { direction: 'min', limit: TARGETS.dialRateShareOfBare, on: 'ratio', text: `≥ ${TARGETS.dialRateShareOfBare * 100}% of the bare client` } });
  f.push({ name: 'Dial rate: dialing process CPU per call', unit: 'ms', ours: d?.median.beckonCpu.beckon ?? NaN, baseline: d?.median.bareCpu.beckon ?? NaN, baselineName: 'bare ARI client' });
  f.push({ name: 'Dial rate: PostgreSQL server CPU per call', unit: 'ms', ours: d?.median.beckonCpu.pg ?? NaN, baseline: null, baselineName: null });

  // Scale-out: the baseline is the same installation with one process of the kind added, in the same run.
  const s = r.scale?.median;
  const perWeb = r.scale?.connectionsPerWeb ?? 0;
  const cores = r.scale?.cores ?? 0;
  f.push({ name: `Scale-out: accept requests/s with 2 web processes (${perWeb} connections to each)`, unit: 'req/s', ours: s?.accept.two.rps ?? NaN, baseline: s?.accept.one.rps ?? NaN, baselineName: '1 web process' });
  f.push({ name: 'Scale-out: accept p99 latency with 2 web processes (the worse of the two)', unit: 'ms', ours: s?.accept.two.p99 ?? NaN, baseline: s?.accept.one.p99 ?? NaN, baselineName: '1 web process' });
  f.push({ name: 'Scale-out: web CPU per request with 2 web processes', unit: 'ms', ours: s?.accept.two.cpu.beckon ?? NaN, baseline: s?.accept.one.cpu.beckon ?? NaN, baselineName: '1 web process' });
  f.push({ name: `Scale-out: cores busy during accept (of ${cores})`, unit: 'n', ours: s?.accept.two.coresBusy ?? NaN, baseline: s?.accept.one.coresBusy ?? NaN, baselineName: '1 web process' });
  f.push({ name: `Scale-out: originates/s with 2 workers on two nodes (${(r.scale?.burst ?? 0).toLocaleString('en-US')} queued)`, unit: '/s', ours: s?.dial.two.rate ?? NaN, baseline: s?.dial.one.rate ?? NaN, baselineName: '1 worker' });
  f.push({ name: 'Scale-out: worker CPU per call with 2 workers', unit: 'ms', ours: s?.dial.two.cpu.beckon ?? NaN, baseline: s?.dial.one.cpu.beckon ?? NaN, baselineName: '1 worker' });
  f.push({ name: `Scale-out: cores busy while dialing (of ${cores})`, unit: 'n', ours: s?.dial.two.coresBusy ?? NaN, baseline: s?.dial.one.coresBusy ?? NaN, baselineName: '1 worker' });

  const w = r.widget;
  if (w) {
    f.push({ name: 'Widget: first load, gzipped (loader and bundle)', unit: 'KB', ours: w.firstLoadKb, baseline: null, baselineName: null,
      target: { direction: 'max', limit: w.budgetKb, text: `≤ ${w.budgetKb} KB` } });
    f.push({ name: 'Widget: call chunk with JsSIP, gzipped (fetched on "Call now" only)', unit: 'KB', ours: w.callChunkKb, baseline: null, baselineName: null });
  }
  if (r.widgetLoad) f.push(...widgetLoadFigures(r.widgetLoad));
  if (r.webcall) f.push(...webcallSetupFigures(r.webcall));
  if (r.chat) f.push(...chatFigures(r.chat));
  if (r.webhooks) f.push(...webhookFigures(r.webhooks));
  return f;
}

export const METHOD = [
  'Every Beckon process is a child process started as production starts it (`npm run build` once, then `node dist/main/cli.js web|worker`; each baseline is bundled by esbuild and started with plain `node` as well), with LOG_LEVEL=info logging to a file, its own fresh database (real migrations, the demo subscriber seeded, one attempt per request) and its own Redis prefix. The abuse limits stay on (their Redis round trips are measured) with their ceilings raised, since all load comes from one IP; every request has a new valid US number and its own visitor id, so duplicate detection never answers from an earlier request.',
  'Accept: autocannon (in the bench process) POSTs `/api/v1/callbacks` at a fixed number of connections against `beckon web`, alternating with the same load against a bare Koa + koa-bodyparser process that answers 202 with a small JSON body. No worker runs, so the requests stay queued. Checked: no non-2xx answers or errors, every 2xx is a stored row, every stored row is marked enqueued and has a Bull job.',
  'Time to dial: open-loop load at a fixed request rate (requests leave on schedule whether or not earlier ones were answered; each run 15 s at 100 req/s and 6 s at 500 req/s, 1,500 and 3,000 requests) against `beckon web` + `beckon worker`, with the simulator in the bench process. Latency is from the moment the client has the 202 to the originate stamped by the simulator for that visitor (negative when the worker dials before the client has read its answer). Every visitor is busy at once (sim rule: busy after 0 ms), so attempts end at once and requests fail with cause 17. Before the measured runs both Beckon and the bare pipeline take the same warm-up load (8 s at 100 req/s, checked, not counted): fresh processes on a fresh database take about that long to settle. Baseline: the bare pipeline, Koa → Bull add on the same Redis → a Bull consumer in another process → one HTTP originate on the same simulator, without validation, PostgreSQL or state machine.',
  'Concurrent calls: requests for N visitors are accepted with the queue held (Bull\'s global pause), the worker starts and its idle memory is read, then the queue is released and one worker dials them all. Simulator at time scale 0.1: visitors answer after 100 ms and press 1 50 ms into the prompt, the subscriber answers after 100 ms, and nobody hangs up until every call is bridged at the simulator and has been held for the hold time; then the visitors hang up, spread over 5 s. Worker memory and CPU are read from /proc/<pid>/stat and /proc/<pid>/status every 200 ms. ARI events are counted by a Stasis app subscribed to all events at the simulator; the rate is taken over the set-up (from the release of the queue until every call is bridged), which runs at the worker\'s own pace. Checked: the worker has N attempts `connected` while the simulator holds N bridged calls; every request ends `completed` with one attempt whose outcome is `answered`; no channel left up. Baseline: a bare ari-client process (baselines/bare-ari.ts) doing the same ARI requests per call with no database, queue or logging.',
  'Scale-out: accept as above against one and then two `beckon web` processes sharing one database and Redis, autocannon keeping the same number of connections open to each (the rate is the sum, p99 the worse of the two), one-process and two-process runs alternating; dial rate as above with one worker (node a) and then two, each serving its own simulated Asterisk node (ASTERISK_NODE, its own simulator), the queue held until the workers are up and released at once, the rate taken over the visitor originates at both simulators. Cores busy is the whole machine\'s CPU over the run (/proc/stat); the notes give the CPU per request or call of each kind of process (web or workers, PostgreSQL, Redis from INFO cpu, the bench process with the load generator and both simulators) and the ceiling it sets on this machine. Checked as accept and dial rate are; with two workers both nodes must dial.',
  'Time to dial with calls held: one `beckon web` + `beckon worker`; the worker first takes the same warm-up as for time to dial, then the steady load of busy-at-once visitors idle (the baseline; 15 s at 100 req/s), then sets up N bridged calls (accepted with the queue held, released at once, simulator at time scale 0.1 as for concurrent calls) and, while holding all of them, takes the same load again. Checked: the held calls stay bridged through the load and all end `completed` answered; every request of the load fails busy with one attempt, dialed once.',
  'Dial rate: N requests are queued with the worker stopped; then the worker starts and drains the queue. Visitors answer at once, never press a key and hang up 2 s later (each call is answered, bridged and prompted, then ends `abandoned`). The rate is the number of visitor originates over the middle 80% of their timestamps at the simulator. Baseline: the bare ari-client process dialing the same burst with 50 originates in flight (the worker\'s job concurrency).',
  WIDGET_LOAD_METHOD,
  WEBCALL_SETUP_METHOD,
  CHAT_METHOD,
  WEBHOOKS_METHOD,
];
