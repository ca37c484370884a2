import http from 'node:http';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_AGENT } from '../../../src/agents/demo-agent.ts';
import { beckonEnv, benchRedisPrefix, createBenchDb, dropRedisPrefix, REDIS_URL, type BenchDb } from '../lib/bench-env.ts';
import { agentLogin, openSse, postJsonTimed, startWidgetChat, type SseArrival, type SseConnection } from '../lib/chat-clients.ts';
import { describeBudget } from '../lib/cpu-budget.ts';
import { countLogProblems, freePort, spawnNode, waitForLog, type Child } from '../lib/children.ts';
import type { BenchContext } from '../lib/context.ts';
import { nowMs } from '../lib/load.ts';
import { sampleProcess } from '../lib/proc-stats.ts';
import type { Figure } from '../lib/report.ts';
import { median, percentile, summarize } from '../lib/stats.ts';
import { machineCpuMark } from '../lib/machine-cpu.ts';
import { pgCpuPerUnit, pgMark } from '../lib/pg-stats.ts';

export interface ChatRun {
  p50: number;
  p99: number;
  /** messages posted (each answered 201) */
  sent: number;
  /** of those, arrived at the agent's stream */
  arrived: number;
  /** CPU of both processes (web A and web B, or the two bare ones) per message, ms */
  cpuMsPerMessage: number;
  /** the same, of the process taking the POSTs (web A) and of the one holding the agent's streams (web B) */
  cpuPostMs: number;
  cpuStreamMs: number;
  /** PostgreSQL server CPU per message (Beckon only; NaN for the baseline) */
  pgCpuMs: number;
  /** the whole machine's busy cores during the run */
  coresBusy: number;
  /** p50 latency of the first and of the last fifth of the messages sent: a growing backlog shows as a rise */
  p50First: number;
  p50Last: number;
}

export interface ChatResult {
  rate: number;
  sec: number;
  conversations: number;
  beckon: ChatRun[];
  bare: ChatRun[];
  median: { beckon: ChatRun; bare: ChatRun };
  problems: string[];
  logProblems: string[];
  notes: string[];
}

export const CHAT_P99_TARGET_MS = 50;

export const CHAT_METHOD = 'Chat across web processes: two `beckon web` processes on one database and Redis prefix (no worker). Visitors start conversations on web A as the widget does (`GET /api/v1/form-token`, then `POST /api/v1/chat/start`); the demo agent logs in on web B and holds one conversation stream per conversation there (`GET /agent/chats/:id/events`, the stream the console opens for a conversation it shows). Messages leave at a fixed open-loop rate (each on schedule whether or not earlier ones were answered), spread round-robin over the conversations, as `POST /api/v1/chat/:id/messages` to web A; latency is from the moment the POST is sent to the moment the agent\'s event with that message arrives from web B, both stamped in the bench process. The chat limits stay on with their ceilings raised (all load comes from one IP). Checked: every POST answered 201, and every message arrived on its conversation\'s stream exactly once, in the order of the numbers the server gave them. CPU per message is the two processes\' /proc CPU over the run. Baseline: the same two hops without Beckon (baselines/bare-chat.ts): a bare Koa process answering the POST with an XADD to the conversation\'s Redis stream, and a second bare process reading every watched stream over one blocking XREAD connection and forwarding each entry over SSE to the same client, at the same rate.';

/** conversations, messages per second over all of them, and seconds of sending per run */
export interface Plan { conversations: number; rate: number; sec: number }
const planOf = (ctx: BenchContext): Plan => (ctx.quick ? { conversations: 40, rate: 200, sec: 2 } : { conversations: 100, rate: 200, sec: 5 });

/**
 * The chat's limits keep running (their Redis round trips are part of what is measured); their ceilings are
 * raised, since every visitor of the bench comes from one IP and writes several messages a second.
 */
const CHAT_ENV: Record<string, string> = {
  CHAT_MESSAGES_PER_MIN: '1000000',
  CHAT_MESSAGES_PER_IP_MIN: '1000000000',
  CHAT_STARTS_PER_IP_HOUR: '1000000',
  LIMIT_FORM_TOKENS_PER_IP: '1000000/600',
  STREAMS_PER_IP: '100000',
  // The bench's one agent holds a stream per conversation (100 of them), past a real console's per-account cap.
  STREAMS_PER_ACCOUNT: '100000',
};

/** One message as sent: where it went, when, and the number (or stream id) the server gave it. */
interface Sent { conv: number; body: string; sentAt: number; status: number; order: string | null }
/** One event as the agent's stream delivered it. */
interface Got { body: string; order: string; at: number }

/** Both sides of one system under test: where visitors post, where the agent listens, and which processes count. */
interface Side {
  name: string;
  /** the process taking the POSTs, then the one holding the streams */
  pids: number[];
  db: BenchDb | null;
  conversations: number;
  post(agent: http.Agent, conv: number, body: string): Promise<Sent>;
  /** everything each conversation's stream delivered, in arrival order */
  got: Got[][];
}

/** Sends `rate` × `sec` messages on schedule, round-robin over the conversations; resolves when every POST is answered. */
async function openLoop(side: Side, plan: Plan, tag: string): Promise<Sent[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(plan.rate * plan.sec);
  const sent: Sent[] = [];
  const inflight: Promise<void>[] = [];
  const start = nowMs();
  let k = 0;
  while (k < total) {
    const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * plan.rate) + 1);
    for (; k < due; k++) {
      const conv = k % side.conversations;
      const body = `${tag} #${k}`;
      inflight.push(side.post(agent, conv, body).then((s) => { sent.push(s); }, () => { sent.push({ conv, body, sentAt: NaN, status: 0, order: null }); }));
    }
    await sleep(Math.max(1, Math.min(10, 1000 / plan.rate)));
  }
  await Promise.all(inflight);
  agent.destroy();
  return sent;
}

/** Numbers compare as numbers (Beckon's seq), stream ids as their two parts (the baseline's XADD ids). */
function compareOrder(a: string, b: string): number {
  const [a1, a2 = '0'] = a.split('-');
  const [b1, b2 = '0'] = b.split('-');
  return Number(a1) - Number(b1) || Number(a2) - Number(b2);
}

/**
 * One run: the messages go out, then the bench waits until each has arrived (or 30 s pass). Every POST must be a
 * 201, and each conversation's stream must have delivered each of its messages once, in the server's order.
 */
async function runOnce(side: Side, plan: Plan, tag: string, problems: string[], label: string): Promise<ChatRun> {
  const cpuOf = () => side.pids.map((pid) => sampleProcess(pid)?.cpuMs ?? NaN);
  const cpu0 = cpuOf();
  const heldBefore = side.got.map((l) => l.length);
  const pg0 = side.db ? await pgMark(side.db) : null;
  const machine = machineCpuMark();
  const sent = await openLoop(side, plan, tag);
  const ok = sent.filter((s) => s.status === 201);
  const mine = (g: Got) => g.body.startsWith(`${tag} #`);
  const arrivedCount = () => side.got.reduce((n, list) => n + list.filter(mine).length, 0);
  // A process slower than the rate leaves a backlog: it gets time to drain before anything counts as lost.
  const deadline = Date.now() + 30_000;
  while (arrivedCount() < ok.length && Date.now() < deadline) await sleep(50);
  const cpu1 = cpuOf();
  const coresBusy = machine.coresBusy();
  const pgCpuMs = pg0 && side.db ? pgCpuPerUnit(pg0, await pgMark(side.db), ok.length) : NaN;

  const found: string[] = [];
  const refused = sent.filter((s) => s.status !== 201);
  if (refused.length) found.push(`${refused.length} of ${sent.length} messages not accepted (e.g. status ${refused[0]!.status})`);
  const byBody = new Map(ok.map((s) => [s.body, s]));
  const latencies: number[] = [];
  const bySend: { sentAt: number; ms: number }[] = [];
  let missing = 0; let twice = 0; let outOfOrder = 0; let foreign = 0;
  for (let conv = 0; conv < side.conversations; conv++) {
    const got = side.got[conv]!.filter(mine);
    const seen = new Set<string>();
    for (const g of got) {
      const s = byBody.get(g.body);
      if (!s || s.conv !== conv) { foreign++; continue; }
      if (seen.has(g.body)) { twice++; continue; }
      seen.add(g.body);
      latencies.push(g.at - s.sentAt);
      bySend.push({ sentAt: s.sentAt, ms: g.at - s.sentAt });
    }
    const lost = ok.filter((s) => s.conv === conv && !seen.has(s.body)).length;
    missing += lost;
    // Every event the stream delivered during the run (system messages too), following the one before it in the
    // server's numbering.
    const all = side.got[conv]!.slice(Math.max(0, heldBefore[conv]! - 1));
    for (let i = 1; i < all.length; i++) if (compareOrder(all[i - 1]!.order, all[i]!.order) >= 0) outOfOrder++;
    // This run's messages in the order of the numbers their POST answers gave.
    const expected = ok.filter((s) => s.conv === conv && s.order !== null).sort((a, b) => compareOrder(a.order!, b.order!)).map((s) => s.body);
    const arrivedOrder = got.map((g) => g.body).filter((b, i, arr) => arr.indexOf(b) === i);
    if (lost === 0 && arrivedOrder.join('\n') !== expected.join('\n')) outOfOrder++;
  }
  if (missing) found.push(`${missing} messages never reached the agent's stream`);
  if (twice) found.push(`${twice} messages reached the agent's stream more than once`);
  if (outOfOrder) found.push(`${outOfOrder} out-of-order deliveries`);
  if (foreign) found.push(`${foreign} events on a stream of another conversation`);
  for (const p of found) problems.push(`${label}: ${p}`);
  const s = summarize(latencies);
  bySend.sort((a, b) => a.sentAt - b.sentAt);
  const fifth = Math.max(1, Math.floor(bySend.length / 5));
  const per = (i: number) => (cpu1[i]! - cpu0[i]!) / Math.max(1, ok.length);
  return {
    p50: s.p50, p99: s.p99, sent: ok.length, arrived: latencies.length,
    cpuMsPerMessage: per(0) + per(1), cpuPostMs: per(0), cpuStreamMs: per(1), pgCpuMs, coresBusy,
    p50First: percentile(bySend.slice(0, fifth).map((x) => x.ms), 50), p50Last: percentile(bySend.slice(-fifth).map((x) => x.ms), 50),
  };
}

/** Two `beckon web` processes on one fresh database and Redis prefix, with the chat's ceilings raised. */
async function startWebs(ctx: BenchContext, label: string): Promise<{ db: BenchDb; prefix: string; webs: Child[]; bases: string[]; stop(): Promise<void> }> {
  const db = await createBenchDb(label);
  const prefix = benchRedisPrefix(label);
  const webs: Child[] = [];
  const bases: string[] = [];
  const stop = async () => {
    await Promise.all(webs.map((w) => w.stop()));
    await dropRedisPrefix(prefix);
    await db.drop();
  };
  try {
    for (const name of ['a', 'b']) {
      const port = await freePort();
      const env = beckonEnv({ dbUrl: db.url, prefix, port, workerId: `bench-${label}-web-${name}-${process.pid}`, extra: CHAT_ENV });
      webs.push(spawnNode({ name: `${label}-web-${name}`, args: ['src/main/cli.ts', 'web'], env, logDir: ctx.logDir, cpuProfDir: ctx.profile.has('web') ? ctx.profDir : undefined }));
      bases.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(webs.map((w) => waitForLog(w, '"msg":"web listening"')));
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return { db, prefix, webs, bases, stop };
}

/** Waits until `pred` holds, polling; fails with `what` after `ms`. */
async function waitUntil(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await sleep(20);
  }
}

/** Beckon: conversations started on web A, each followed by the agent on web B. */
async function beckonSide(bases: string[], n: number, streams: SseConnection[]): Promise<Side> {
  const [a, b] = bases as [string, string];
  const { cookie } = await agentLogin(b, DEMO_AGENT.login, DEMO_AGENT.password);
  const got: Got[][] = Array.from({ length: n }, () => []);
  const convs: { id: string; token: string }[] = [];
  for (let i = 0; i < n; i++) {
    const c = await startWidgetChat(a, 'demo', { name: `Bench visitor ${i}`, body: `hello from ${i}`, pageUrl: 'http://localhost/pricing' });
    convs.push(c);
    const list = got[i]!;
    const sse = await openSse(`${b}/agent/chats/${c.id}/events`, { cookie }, (e: SseArrival) => {
      if (e.event !== 'message') return;
      const m = JSON.parse(e.data) as { seq: number; body: string };
      list.push({ body: m.body, order: String(m.seq), at: e.at });
    });
    if (sse.status !== 200) throw new Error(`agent stream of conversation ${i} answered ${sse.status}`);
    streams.push(sse);
  }
  // The stream is live once it has sent what was stored (the first message): its key is watched by then.
  await waitUntil(() => got.every((l) => l.length >= 1), 15_000, 'every agent stream showing its first message');
  return {
    name: 'beckon', pids: [], db: null, conversations: n, got,
    async post(agent, conv, body) {
      const c = convs[conv]!;
      const r = await postJsonTimed(agent, `${a}/api/v1/chat/${c.id}/messages`, { token: c.token, body });
      const seq = r.status === 201 ? String((JSON.parse(r.text) as { message: { seq: number } }).message.seq) : null;
      return { conv, body, sentAt: r.sentAt, status: r.status, order: seq };
    },
  };
}

/** The baseline: the same conversations as ids only, posted to the bare publisher and followed at the bare reader. */
async function bareSide(pubBase: string, subBase: string, n: number, streams: SseConnection[]): Promise<Side> {
  const got: Got[][] = Array.from({ length: n }, () => []);
  const ids = Array.from({ length: n }, () => randomUUID());
  for (let i = 0; i < n; i++) {
    const list = got[i]!;
    const sse = await openSse(`${subBase}/events/${ids[i]}`, {}, (e) => {
      const m = JSON.parse(e.data) as { id: string; body: string };
      list.push({ body: m.body, order: m.id, at: e.at });
    });
    if (sse.status !== 200) throw new Error(`bare stream ${i} answered ${sse.status}`);
    streams.push(sse);
  }
  return {
    name: 'bare', pids: [], db: null, conversations: n, got,
    async post(agent, conv, body) {
      const r = await postJsonTimed(agent, `${pubBase}/messages/${ids[conv]}`, { body });
      const id = r.status === 201 ? (JSON.parse(r.text) as { id: string }).id : null;
      return { conv, body, sentAt: r.sentAt, status: r.status, order: id };
    },
  };
}

const medianRun = (r: ChatRun[]): ChatRun => {
  const m = (k: keyof ChatRun) => median(r.map((x) => x[k]));
  return {
    p50: m('p50'), p99: m('p99'), sent: m('sent'), arrived: m('arrived'), cpuMsPerMessage: m('cpuMsPerMessage'), cpuPostMs: m('cpuPostMs'),
    cpuStreamMs: m('cpuStreamMs'), pgCpuMs: m('pgCpuMs'), coresBusy: m('coresBusy'), p50First: m('p50First'), p50Last: m('p50Last'),
  };
};

/**
 * Chat latency from a visitor's POST on one web process to the agent's event on another, at a fixed rate,
 * next to the bare two hops (XADD, XREAD, SSE) in the same run; runs alternate Beckon and baseline.
 */
export async function benchChat(ctx: BenchContext, override: Partial<Plan> = {}): Promise<ChatResult> {
  const plan = { ...planOf(ctx), ...override };
  const result: ChatResult = { rate: plan.rate, sec: plan.sec, conversations: plan.conversations, beckon: [], bare: [], median: undefined as never, problems: [], logProblems: [], notes: [] };
  const streams: SseConnection[] = [];
  const bareChildren: Child[] = [];
  const barePrefix = benchRedisPrefix('bare-chat');
  const beckon = await startWebs(ctx, 'chat');
  try {
    const ours = await beckonSide(beckon.bases, plan.conversations, streams);
    ours.pids = beckon.webs.map((w) => w.pid);
    ours.db = beckon.db;
    const [pubPort, subPort] = [await freePort(), await freePort()];
    for (const [role, port] of [['pub', pubPort], ['sub', subPort]] as const) {
      const c = spawnNode({ name: `bare-chat-${role}`, args: ['scripts/bench/baselines/bare-chat.ts'], env: { ROLE: role, PORT: String(port), REDIS_URL, PREFIX: barePrefix }, logDir: ctx.logDir });
      bareChildren.push(c);
      await waitForLog(c, 'ready');
    }
    const bare = await bareSide(`http://127.0.0.1:${pubPort}`, `http://127.0.0.1:${subPort}`, plan.conversations, streams);
    bare.pids = bareChildren.map((c) => c.pid);

    // Warm-up (JIT, pools, the readers' blocking loops): not counted, but checked.
    const warm = { ...plan, sec: 1, rate: Math.min(plan.rate, 100) };
    await runOnce(ours, warm, 'warm-up', result.problems, 'chat warm-up');
    await runOnce(bare, warm, 'warm-up', result.problems, 'bare chat warm-up');
    for (let i = 1; i <= ctx.plan.runs; i++) {
      const x = await runOnce(ours, plan, `run ${i}`, result.problems, `chat run ${i}`);
      const y = await runOnce(bare, plan, `run ${i}`, result.problems, `bare chat run ${i}`);
      result.beckon.push(x);
      result.bare.push(y);
      const line = (z: ChatRun) => `p50 ${z.p50.toFixed(1)} p99 ${z.p99.toFixed(1)} ms (first fifth p50 ${z.p50First.toFixed(1)}, last ${z.p50Last.toFixed(1)}), CPU ms/msg ${z.cpuPostMs.toFixed(2)} + ${z.cpuStreamMs.toFixed(2)}${Number.isFinite(z.pgCpuMs) ? ` + PostgreSQL ${z.pgCpuMs.toFixed(2)}` : ''}, ${z.coresBusy.toFixed(1)} cores busy`;
      ctx.progress(`chat run ${i}/${ctx.plan.runs} at ${plan.rate}/s over ${plan.conversations} conversations (${x.arrived}/${x.sent}): beckon ${line(x)}; bare ${line(y)}`);
    }
    for (const w of beckon.webs) {
      const lp = countLogProblems(w);
      if (lp.warn || lp.error) result.logProblems.push(`${w.name} logged ${lp.error} errors and ${lp.warn} warnings, e.g. ${lp.sample[0]}`);
    }
  } finally {
    for (const s of streams) s.close();
    for (const c of bareChildren) await c.stop();
    await dropRedisPrefix(barePrefix);
    await beckon.stop();
  }
  const m = result.median = { beckon: medianRun(result.beckon), bare: medianRun(result.bare) };
  result.notes.push(describeBudget('Chat across web processes', 'message', { 'web A (POST)': m.beckon.cpuPostMs, 'web B (agent streams)': m.beckon.cpuStreamMs, PostgreSQL: m.beckon.pgCpuMs },
    os.cpus().length, m.beckon.coresBusy, plan.rate) +
    ` Latency p50 over the first fifth of the messages ${m.beckon.p50First.toFixed(1)} ms, over the last fifth ${m.beckon.p50Last.toFixed(1)} ms (a rise means a backlog built up); the baseline spent ${m.bare.cpuPostMs.toFixed(2)} + ${m.bare.cpuStreamMs.toFixed(2)} ms per message.`);
  return result;
}

/** The table's lines for chat; n/a when the scenario did not run. */
export function chatFigures(r: ChatResult | undefined): Figure[] {
  const m = r?.median;
  const at = r ? ` at ${r.rate} msg/s over ${r.conversations} conversations` : '';
  const base = { baselineName: 'bare XADD → XREAD → SSE' };
  return [
    { name: `Chat across web processes: p50 latency${at}`, unit: 'ms', ours: m?.beckon.p50 ?? NaN, baseline: m?.bare.p50 ?? NaN, ...base, ratioFloor: 0.5 },
    { name: `Chat across web processes: p99 latency${at}`, unit: 'ms', ours: m?.beckon.p99 ?? NaN, baseline: m?.bare.p99 ?? NaN, ...base, ratioFloor: 0.5,
      target: { direction: 'max', limit: CHAT_P99_TARGET_MS, text: `≤ ${CHAT_P99_TARGET_MS} ms` } },
    { name: 'Chat across web processes: CPU of both processes per message', unit: 'ms', ours: m?.beckon.cpuMsPerMessage ?? NaN, baseline: m?.bare.cpuMsPerMessage ?? NaN, ...base },
    { name: 'Chat across web processes: PostgreSQL server CPU per message', unit: 'ms', ours: m?.beckon.pgCpuMs ?? NaN, baseline: null, baselineName: null },
  ];
}
