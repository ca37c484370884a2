import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSim, type PhoneRule, type Sim } from '../../../src/sim/index.ts';
import type { MediaFactory } from '../../../src/sim/webrtc-media.ts';
import { BENCH_AUTH } from '../lib/bench-env.ts';
import { spawnNode, waitForLog, type Child } from '../lib/children.ts';
import type { BenchContext } from '../lib/context.ts';
import { nowMs } from '../lib/load.ts';
import { pgCpuPerUnit, pgMark } from '../lib/pg-stats.ts';
import { sampleProcess } from '../lib/proc-stats.ts';
import type { Figure } from '../lib/report.ts';
import { waitForFinal } from '../lib/requests.ts';
import { until } from '../lib/sim-watch.ts';
import { SipCaller, type WebCallTrace } from '../lib/sip-caller.ts';
import { startBeckon, type BeckonProcs } from '../lib/stack.ts';
import { median, summarize } from '../lib/stats.ts';
import { bareCalleeFinder, beckonCalleeFinder, checkWebcalls, setupLatencies, type OriginateSeen, type PlacedCall, type WebcallAttemptRow } from '../lib/webcall-check.ts';

/** Calls per run and the steady rate they are placed at: modest, so what is timed is set-up, not a queue. */
export const WEBCALL_PLAN = { full: { calls: 150, rate: 10, warmUp: 5 }, quick: { calls: 10, rate: 10, warmUp: 3 } } as const;

/** The demo subscriber's phone: the callee every web call rings. */
const CALLEE = '12025550111';
const CALLEE_ENDPOINT = `PJSIP/${CALLEE}@carrier`;
/**
 * The callee is busy the moment it is rung (cause 17): the set-up is complete at the ring, the browser is refused
 * with 486 and the request fails, so no call outlives its own set-up and nothing piles up at the simulator.
 */
const RULES: PhoneRule[] = [{ pattern: `${CALLEE}$`, behavior: { kind: 'busy', afterMs: 0 } }];

/**
 * The simulator's browser media answers SDP with a fixed session instead of a werift endpoint: the bench client
 * does no ICE or DTLS, and set-up is signalling (the 183 with SDP for the ringback is still sent).
 */
const CANNED_SDP = 'v=0\r\no=- 5 5 IN IP4 127.0.0.1\r\ns=Asterisk\r\nt=0 0\r\nm=audio 20116 UDP/TLS/RTP/SAVPF 0 126\r\na=setup:active\r\na=sendrecv\r\n';
const cannedMedia: MediaFactory = () => ({
  answer: async () => CANNED_SDP, offer: async () => CANNED_SDP, accept: async () => undefined,
  audible: () => undefined, onAudio: () => undefined, relay: () => undefined, close: () => undefined,
});

export interface WebcallRun {
  p50: number; p99: number; count: number; cpuMsPerCall: number; pgCpuMsPerCall: number;
  /** the bench process's CPU per call: load generator, browsers and the simulator (a busy one would add to the latency) */
  benchCpuMsPerCall: number;
  /** Beckon: p50 from the ticket to the browser's 180 Ringing, the part of the set-up before the worker's call starts */
  toRingingP50: number;
}
export interface WebcallSetupResult {
  calls: number;
  rate: number;
  beckon: WebcallRun[];
  bare: WebcallRun[];
  median: { beckon: WebcallRun; bare: WebcallRun };
  problems: string[];
  logProblems: string[];
  notes: string[];
}

const medianRun = (r: WebcallRun[]): WebcallRun => ({
  p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)), count: median(r.map((x) => x.count)),
  cpuMsPerCall: median(r.map((x) => x.cpuMsPerCall)), pgCpuMsPerCall: median(r.map((x) => x.pgCpuMsPerCall)),
  benchCpuMsPerCall: median(r.map((x) => x.benchCpuMsPerCall)), toRingingP50: median(r.map((x) => x.toRingingP50)),
});
const benchCpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

function postJson(agent: http.Agent, url: string, body: unknown): Promise<{ status: number; json: any; at: number }> {
  const text = JSON.stringify(body);
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), authorization: BENCH_AUTH } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const at = nowMs();
        let json: any = null;
        try { json = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, json, at });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** Runs `place(i)` for i < count on a fixed schedule of `rate` per second (open loop), then waits for all. */
async function openLoop<T>(count: number, rate: number, place: (i: number) => Promise<T>): Promise<T[]> {
  const started = nowMs();
  const out: Promise<T>[] = [];
  while (out.length < count) {
    const due = Math.min(count, Math.floor(((nowMs() - started) / 1000) * rate) + 1);
    while (out.length < due) out.push(place(out.length));
    await sleep(Math.max(1, Math.min(10, 1000 / rate)));
  }
  return Promise.all(out);
}

/** One WebSocket per browser, opened before the run. */
const connectCallers = (sim: Sim, n: number): Promise<SipCaller[]> => Promise.all(Array.from({ length: n }, () => SipCaller.connect(sim.ariUrl)));

const statusesOf = (t: WebCallTrace): number[] => [...t.responses.keys()];
const calleeOriginates = (sim: Sim): OriginateSeen[] => sim.originates().filter((o) => o.endpoint === CALLEE_ENDPOINT);

async function attemptRows(b: BeckonProcs, ids: string[]): Promise<WebcallAttemptRow[]> {
  const { rows } = await b.db.pool.query(
    `SELECT r.id, r.status, count(a.id)::int AS attempts, min(a.flow) AS flow, min(a.outcome) AS outcome, min(a.callee_channel_id) AS callee
       FROM callback_requests r LEFT JOIN call_attempts a ON a.request_id = r.id
      WHERE r.id = ANY($1::uuid[]) GROUP BY r.id`, [ids]);
  return rows.map((r) => ({ requestId: r.id, status: r.status, attempts: r.attempts, flow: r.flow, outcome: r.outcome, calleeChannelId: r.callee }));
}

/** CPU ms per second of the web and worker processes together, and of PostgreSQL, over `ms` with nothing to do. */
async function idleCpu(b: BeckonProcs, ms: number): Promise<{ procs: number; pg: number }> {
  const pg0 = await pgMark(b.db);
  const p0 = [sampleProcess(b.web.pid), sampleProcess(b.worker!.pid)];
  const t0 = Date.now();
  await sleep(ms);
  const p1 = [sampleProcess(b.web.pid), sampleProcess(b.worker!.pid)];
  const sec = (Date.now() - t0) / 1000;
  const pg = pgCpuPerUnit(pg0, await pgMark(b.db), 1) / sec;
  const procs = p0.every(Boolean) && p1.every(Boolean) ? p1.reduce((a, x, k) => a + x!.cpuMs - p0[k]!.cpuMs, 0) / sec : NaN;
  return { procs, pg };
}

/**
 * Web call set-up: from the moment `POST /api/v1/webcalls` has answered with its ticket to the moment the
 * simulator stamps the originate of the callee's leg, for calls placed at a steady rate by browsers speaking SIP
 * over WebSocket to the simulator's `/ws` (lib/sip-caller.ts). In between: the INVITE, the inbound app's holder
 * redeeming the ticket and moving the channel to a worker, that worker loading the request and claiming the
 * attempt. Baseline on a second simulator: the same INVITE to a bare ARI app that originates the callee at
 * StasisStart (lib/bare-inbound-app.ts), timed from the INVITE.
 */
export async function benchWebcallSetup(ctx: BenchContext): Promise<WebcallSetupResult> {
  const plan = ctx.quick ? WEBCALL_PLAN.quick : WEBCALL_PLAN.full;
  const problems: string[] = [];
  const result: WebcallSetupResult = { calls: plan.calls, rate: plan.rate, beckon: [], bare: [], median: undefined as never, problems, logProblems: [], notes: [] };
  const sim = await startSim({ timeScale: 1, webrtcMedia: cannedMedia });
  const bareSim = await startSim({ timeScale: 1, webrtcMedia: cannedMedia, inboundApp: 'bare-inbound' });
  sim.setRules(RULES);
  bareSim.setRules(RULES);
  let beckon: BeckonProcs | null = null;
  let bare: Child | null = null;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    beckon = await startBeckon(ctx, 'webcall', sim, { worker: true, workerEnv: { WEBCALL_ENABLED: 'true' } });
    await waitForLog(beckon.worker!, '"msg":"inbound web-call app held"');
    bare = spawnNode({ name: 'bare-inbound', args: ['scripts/bench/lib/bare-inbound-app.ts'], logDir: ctx.logDir,
      env: { ARI_URL: bareSim.ariUrl, APP: 'bare-inbound', CALLEE }, cpuProfDir: ctx.profile.has('bare-inbound') ? ctx.profDir : undefined });
    await waitForLog(bare, 'bare inbound ready');
    const b = beckon;
    const bareChild = bare;

    const runBeckon = async (calls: number, label: string): Promise<WebcallRun> => {
      sim.clearOriginates();
      const callers = await connectCallers(sim, calls);
      const refused: string[] = [];
      const pg0 = await pgMark(b.db);
      const cpu0 = [sampleProcess(b.web.pid), sampleProcess(b.worker!.pid)];
      const bench0 = benchCpuMs();
      const placed = await openLoop(calls, plan.rate, async (i): Promise<PlacedCall | null> => {
        const r = await postJson(agent, `${b.base}/api/v1/webcalls`, { subscriber: 'demo', visitorId: `bench-web-${randomBytes(9).toString('base64url')}`, name: 'Web Visitor' })
          .catch((err: Error) => ({ status: 0, json: { error: err.message }, at: NaN }));
        if (r.status !== 201) { refused.push(`${r.status} ${JSON.stringify(r.json).slice(0, 200)}`); callers[i]!.close(); return null; }
        const trace = await callers[i]!.call(r.json.ticket);
        return { key: r.json.requestId, startAt: r.at, final: trace.final, statuses: statusesOf(trace), ringingAt: trace.responses.get(180) };
      });
      for (const c of callers) c.close();
      const done = placed.filter((p): p is PlacedCall => p !== null);
      const ids = done.map((p) => p.key);
      // The CPU window closes once every request is settled and every channel gone: each call's whole cost is in it
      // (with the idle share given in the notes for the few hundred milliseconds of polling).
      const open = await waitForFinal(b.db.pool, ids, 30_000);
      const left = (await until(() => sim.channels().length === 0, 10_000)) ? 0 : sim.channels().length;
      const cpu1 = [sampleProcess(b.web.pid), sampleProcess(b.worker!.pid)];
      const benchCpuMsPerCall = (benchCpuMs() - bench0) / calls;
      const pgCpuMsPerCall = pgCpuPerUnit(pg0, await pgMark(b.db), calls);
      const rows = await attemptRows(b, ids);
      const rung = calleeOriginates(sim);
      const found = [
        ...(refused.length ? [`${refused.length} tickets refused (e.g. ${refused[0]})`] : []),
        ...(open ? [`${open} web-call requests still open 30 s after the run`] : []),
        ...checkWebcalls({ calls: done, asked: calls, calleeOriginates: rung, rows, expectFinal: 486, expectStatus: 'failed', expectOutcome: 'callee_unanswered', channelsLeft: left }),
      ];
      for (const p of found) problems.push(`${label}: ${p}`);
      const s = summarize(setupLatencies(done, beckonCalleeFinder(rows, rung)));
      const cpu = cpu0.every(Boolean) && cpu1.every(Boolean) ? cpu1.reduce((a, x, k) => a + x!.cpuMs - cpu0[k]!.cpuMs, 0) / calls : NaN;
      const toRinging = summarize(done.filter((c) => c.ringingAt !== undefined).map((c) => c.ringingAt! - c.startAt));
      return { p50: s.p50, p99: s.p99, count: s.count, cpuMsPerCall: cpu, pgCpuMsPerCall, benchCpuMsPerCall, toRingingP50: toRinging.p50 };
    };

    const runBare = async (calls: number, label: string): Promise<WebcallRun> => {
      bareSim.clearOriginates();
      const callers = await connectCallers(bareSim, calls);
      const tag = randomBytes(4).toString('hex');
      const cpu0 = sampleProcess(bareChild.pid);
      const bench0 = benchCpuMs();
      const placed = await openLoop(calls, plan.rate, async (i): Promise<PlacedCall> => {
        const ticket = `bare-${tag}-${i}`;
        const trace = await callers[i]!.call(ticket);
        return { key: ticket, startAt: trace.inviteAt, final: trace.final, statuses: statusesOf(trace) };
      });
      for (const c of callers) c.close();
      const left = (await until(() => bareSim.channels().length === 0, 10_000)) ? 0 : bareSim.channels().length;
      const cpu1 = sampleProcess(bareChild.pid);
      const benchCpuMsPerCall = (benchCpuMs() - bench0) / calls;
      const rung = calleeOriginates(bareSim);
      for (const p of checkWebcalls({ calls: placed, asked: calls, calleeOriginates: rung, expectFinal: 486, channelsLeft: left })) problems.push(`${label}: ${p}`);
      const s = summarize(setupLatencies(placed, bareCalleeFinder(rung)));
      return { p50: s.p50, p99: s.p99, count: s.count, cpuMsPerCall: cpu0 && cpu1 ? (cpu1.cpuMs - cpu0.cpuMs) / calls : NaN, pgCpuMsPerCall: 0, benchCpuMsPerCall, toRingingP50: NaN };
    };

    // What web, worker and PostgreSQL spend with no call at all (periodic passes): context for the CPU per call.
    const idle = await idleCpu(b, 3000);
    result.notes.push(`Web call set-up: with no call, web + worker use ${idle.procs.toFixed(1)} CPU ms/s and PostgreSQL ${idle.pg.toFixed(1)} CPU ms/s (periodic passes); at ${plan.rate} calls/s that is ${(idle.procs / plan.rate).toFixed(1)} + ${(idle.pg / plan.rate).toFixed(1)} ms of each call's CPU figures.`);

    // Warm-up (JIT, pools, the first web call's modules): not counted, but checked.
    await runBeckon(plan.warmUp, 'web-call set-up warm-up');
    await runBare(plan.warmUp, 'bare inbound app warm-up');
    for (let i = 1; i <= ctx.plan.runs; i++) {
      const x = await runBeckon(plan.calls, `web-call set-up run ${i}`);
      const y = await runBare(plan.calls, `bare inbound app run ${i}`);
      result.beckon.push(x);
      result.bare.push(y);
      ctx.progress(`web-call set-up run ${i}/${ctx.plan.runs} (${plan.calls} calls at ${plan.rate}/s): beckon p50 ${x.p50.toFixed(1)} p99 ${x.p99.toFixed(1)} ms (browser rung after ${x.toRingingP50.toFixed(1)} ms p50), ${x.cpuMsPerCall.toFixed(1)} CPU ms per call (web + worker) + PostgreSQL ${x.pgCpuMsPerCall.toFixed(1)}, bench process ${x.benchCpuMsPerCall.toFixed(1)}; bare p50 ${y.p50.toFixed(1)} p99 ${y.p99.toFixed(1)} ms, ${y.cpuMsPerCall.toFixed(2)} CPU ms per call, bench process ${y.benchCpuMsPerCall.toFixed(1)}`);
    }
    result.median = { beckon: medianRun(result.beckon), bare: medianRun(result.bare) };
    const m = result.median.beckon;
    result.notes.push(`Web call set-up: of the ${m.p50.toFixed(0)} ms p50, ${m.toRingingP50.toFixed(0)} ms pass before the browser hears 180 Ringing (ticket redeemed by the inbound app's holder, channel moved, attempt claimed by the worker), the rest between that and the callee's originate (ringback and the callee leg's checks); the bench process (browsers and simulator) spent ${m.benchCpuMsPerCall.toFixed(1)} CPU ms per call (baseline run: ${result.median.bare.benchCpuMsPerCall.toFixed(1)}).`);
    result.logProblems = logProblemsOf([b.web, b.worker!, bareChild]);
    return result;
  } finally {
    agent.destroy();
    await bare?.stop();
    await beckon?.stop();
    await sim.close();
    await bareSim.close();
  }
}

/**
 * Warnings and errors the children logged, for the report's notes. The ringback each refused browser was hearing
 * ends `failed` when the refusal hangs its channel up (the simulator, like Asterisk, fails a playback cut short by
 * a hang-up), and the worker logs that as a warning: those are counted apart, as expected here.
 */
function logProblemsOf(children: Child[]): string[] {
  const out: string[] = [];
  for (const c of children) {
    let cutRingback = 0;
    const other: string[] = [];
    for (const line of readFileSync(c.logFile, 'utf8').split('\n')) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
      if (level < 40) continue;
      if (level === 40 && line.includes('"prompt":"ringback"') && line.includes('"msg":"playback failed"')) cutRingback++;
      else other.push(line.slice(0, 300));
    }
    if (other.length) out.push(`${c.name} logged ${other.length} warnings or errors, e.g. ${other[0]}`);
    if (cutRingback) out.push(`${c.name}: ${cutRingback} ringback playbacks ended \`failed\`, cut short by the busy refusal (expected here).`);
  }
  return out;
}

/** The table lines of this scenario (a scenario that did not run shows n/a). */
export function webcallSetupFigures(r: WebcallSetupResult | undefined): Figure[] {
  const m = r?.median;
  const at = r ? ` (${r.calls} calls at ${r.rate}/s)` : '';
  return [
    { name: `Web call set-up, ticket to callee ringing: p50${at}`, unit: 'ms', ours: m?.beckon.p50 ?? NaN, baseline: m?.bare.p50 ?? NaN, baselineName: 'bare ARI app', ratioFloor: 1 },
    { name: `Web call set-up, ticket to callee ringing: p99${at}`, unit: 'ms', ours: m?.beckon.p99 ?? NaN, baseline: m?.bare.p99 ?? NaN, baselineName: 'bare ARI app', ratioFloor: 1 },
    { name: 'Web calls: CPU per call, ticket to settled (web + worker; baseline: the bare app)', unit: 'ms', ours: m?.beckon.cpuMsPerCall ?? NaN, baseline: m?.bare.cpuMsPerCall ?? NaN, baselineName: 'bare ARI app' },
    { name: 'Web calls: PostgreSQL server CPU per call, ticket to settled', unit: 'ms', ours: m?.beckon.pgCpuMsPerCall ?? NaN, baseline: null, baselineName: null },
  ];
}

export const WEBCALL_SETUP_METHOD = 'Web call set-up: `beckon web` + `beckon worker` (WEBCALL_ENABLED) against the simulator in the bench process; each browser is a SIP-over-WebSocket client (lib/sip-caller.ts, written and read with the simulator\'s own SIP helpers, the messages JsSIP sends) with its WebSocket open before the run. Calls are placed open-loop at a steady rate: `POST /api/v1/webcalls` (API credential, a new visitor id each), then at once the INVITE with the ticket; the time is from the 201 to the originate of the callee\'s leg stamped by the simulator (the holder of the inbound app redeems the ticket, moves the channel to a worker, which claims the attempt and rings the callee). The simulator answers SDP with a fixed session (no ICE or DTLS: signalling only) and the callee is busy at once, so every call ends right after its set-up: the browser gets 486 and the request `failed`. CPU per call is the web and worker processes\' (and PostgreSQL\'s) from the first ticket until every request is settled and every channel gone, divided by the calls; the notes give what they spend idle. Checked: every ticket issued, every browser refused with 486 and never answered, the callee rung exactly once per call, every request `failed` with one `web_inbound` attempt ending `callee_unanswered` (cause 17) whose callee channel the simulator originated, no channel left. Baseline: the same INVITEs to a second simulator whose inbound app is held by a bare ari-client process (lib/bare-inbound-app.ts) that originates the callee at StasisStart, timed from the INVITE.';
