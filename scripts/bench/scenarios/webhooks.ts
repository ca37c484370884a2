import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSim } from '../../../src/sim/index.ts';
import { newWebhookSecret } from '../../../src/webhooks/signature.ts';
import { insertEndpoint, recordEvent, setEndpointEnabled } from '../../../src/webhooks/webhook.repository.ts';
import { spawnNode, waitForLog } from '../lib/children.ts';
import type { BenchContext } from '../lib/context.ts';
import { pgCpuPerUnit, pgMark, type PgMark } from '../lib/pg-stats.ts';
import { sampleProcess } from '../lib/proc-stats.ts';
import type { Figure } from '../lib/report.ts';
import { startSignedReceiver, type SignedReceiver } from '../lib/signed-receiver.ts';
import { startBeckon, type BeckonProcs } from '../lib/stack.ts';
import { median, steadyRate } from '../lib/stats.ts';
import { checkDeliveries } from '../lib/webhook-check.ts';

/**
 * Events per run, for one endpoint and for several. One endpoint gets one delivery at a time, in event order
 * (src/webhooks/drain.ts); several endpoints are delivered to side by side, up to the queue's concurrency (5).
 */
export const WEBHOOK_PLAN = {
  full: { oneEndpoint: 2000, endpoints: 5, perEndpoint: 600, warmUp: true },
  quick: { oneEndpoint: 100, endpoints: 5, perEndpoint: 20, warmUp: false },
} as const;

/** One way of delivering (one endpoint, or several) as measured in one run. */
export interface WebhookRun { perSec: number; cpuMsPerDelivery: number; pgCpuMsPerDelivery: number; deliveries: number }
export interface WebhookCase { endpoints: number; events: number; beckon: WebhookRun[]; bare: WebhookRun[]; median: { beckon: WebhookRun; bare: WebhookRun } }
export interface WebhooksResult { cases: WebhookCase[]; problems: string[]; logProblems: string[] }

const medianRun = (r: WebhookRun[]): WebhookRun => ({
  perSec: median(r.map((x) => x.perSec)), cpuMsPerDelivery: median(r.map((x) => x.cpuMsPerDelivery)),
  pgCpuMsPerDelivery: median(r.map((x) => x.pgCpuMsPerDelivery)), deliveries: median(r.map((x) => x.deliveries)),
});

interface Mark { count: number; at: number; cpuMs: number; pg: PgMark | null }

/**
 * Waits until `total` POSTs arrived (or arrivals stall for `stallMs`), taking a mark when 10% and when 90% have
 * arrived: the sender's CPU (and PostgreSQL's) between the two marks, divided by the deliveries between them, is
 * the cost per delivery of the steady middle, without start-up or tail.
 */
async function watchDeliveries(rx: SignedReceiver, total: number, pid: number, pgOf: (() => Promise<PgMark>) | null, stallMs = 15_000): Promise<{ a: Mark | null; b: Mark | null }> {
  const mark = async (): Promise<Mark> => ({ count: rx.arrivals.length, at: Date.now(), cpuMs: sampleProcess(pid)?.cpuMs ?? NaN, pg: pgOf ? await pgOf() : null });
  let a: Mark | null = null;
  let b: Mark | null = null;
  let last = -1;
  let lastAt = Date.now();
  for (;;) {
    const n = rx.arrivals.length;
    if (!a && n >= total * 0.1) a = await mark();
    if (!b && n >= total * 0.9) b = await mark();
    if (n >= total) return { a, b };
    if (n > last) { last = n; lastAt = Date.now(); } else if (Date.now() - lastAt > stallMs) return { a, b };
    await sleep(5);
  }
}

const perDelivery = (a: Mark | null, b: Mark | null): { cpu: number; pg: number } => {
  if (!a || !b || b.count <= a.count) return { cpu: NaN, pg: NaN };
  const n = b.count - a.count;
  return { cpu: (b.cpuMs - a.cpuMs) / n, pg: a.pg && b.pg ? pgCpuPerUnit(a.pg, b.pg, n) : NaN };
};

/** The payload of a `callback.created` event as the feed makes it for a request from the widget. */
function createdData(i: number): Record<string, unknown> {
  return {
    requestId: randomUUID(), kind: 'callback', departmentId: null, phone: `+1202555${String(1000 + (i % 9000)).padStart(4, '0')}`,
    name: 'Bench Visitor', pageUrl: 'https://shop.example.com/pricing', status: 'queued', scheduledAt: null,
  };
}

/**
 * Signed webhook deliveries per second. Beckon: `beckon worker` delivers events recorded while it was stopped
 * (the repository's own recordEvent, the path the feed and chat use), to endpoints configured for the demo
 * subscriber that point at a receiver in the bench process verifying every signature. Baseline: one process
 * signing the bodies Beckon delivered with the same HMAC and POSTing them to the same receiver with the same
 * concurrency (lib/bare-webhook-sender.ts).
 */
export async function benchWebhooks(ctx: BenchContext): Promise<WebhooksResult> {
  const plan = ctx.quick ? WEBHOOK_PLAN.quick : WEBHOOK_PLAN.full;
  const problems: string[] = [];
  const result: WebhooksResult = { cases: [], problems, logProblems: [] };
  // The worker needs an Asterisk to start; nothing is dialed.
  const sim = await startSim({ timeScale: 1 });
  const rx = await startSignedReceiver();
  let beckon: BeckonProcs | null = null;
  try {
    beckon = await startBeckon(ctx, 'webhooks', sim, { worker: false, workerEnv: { WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true' } });
    const b = beckon;
    const pool = b.db.pool;
    const subscriberId = (await pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`)).rows[0].id as string;
    let run = 0;

    /** Beckon: endpoints made, events recorded with the worker stopped, then the worker started and timed. */
    const runBeckon = async (endpoints: number, events: number, label: string): Promise<{ r: WebhookRun; secrets: Map<string, string> }> => {
      run++;
      rx.clear();
      const secrets = new Map<string, string>();
      const made: { id: string; name: string }[] = [];
      for (let k = 0; k < endpoints; k++) {
        const name = `r${run}-e${k}`;
        const secret = newWebhookSecret();
        const e = await insertEndpoint(pool, { subscriberId, url: rx.url(name), events: ['callback.created'], secret });
        rx.setSecret(name, secret);
        secrets.set(name, secret);
        made.push({ id: e.id, name });
      }
      const base = Date.now() - 60_000;
      // One after the other: an endpoint's deliveries go in the order they were made, which is then the events' order.
      for (let i = 0; i < events; i++) {
        await recordEvent(pool, { subscriberId, type: 'callback.created', sourceKey: `bench:${run}:${i}`, data: createdData(i), at: new Date(base + i) });
      }
      const expectedIds = (await pool.query(`SELECT id FROM webhook_events WHERE source_key LIKE $1 ORDER BY created_at`, [`bench:${run}:%`])).rows.map((r) => r.id as string);
      const total = events * endpoints;
      const worker = await b.startWorker();
      const { a, b: bm } = await watchDeliveries(rx, total, worker.pid, () => pgMark(b.db));
      await sleep(300); // anything sent twice would arrive now
      await worker.stop();
      const { rows: [log] } = await pool.query(
        `SELECT count(*) FILTER (WHERE status = 'delivered')::int AS delivered, count(*) FILTER (WHERE status = 'pending')::int AS pending,
                count(*) FILTER (WHERE status = 'failed')::int AS failed, count(*) FILTER (WHERE attempts > 1)::int AS retried
           FROM webhook_deliveries WHERE endpoint_id = ANY($1::uuid[])`, [made.map((m) => m.id)]);
      const expected = new Map(made.map((m) => [m.name, expectedIds]));
      for (const p of checkDeliveries({ arrivals: rx.arrivals, expected, log })) problems.push(`${label}: ${p}`);
      for (const m of made) await setEndpointEnabled(pool, subscriberId, m.id, false, 'bench run over');
      const cost = perDelivery(a, bm);
      return { r: { perSec: steadyRate(rx.arrivals.map((x) => x.at)), cpuMsPerDelivery: cost.cpu, pgCpuMsPerDelivery: cost.pg, deliveries: rx.arrivals.length }, secrets };
    };

    const runBare = async (name: string, jobs: { url: string; secret: string; bodies: string[]; endpoint: string; ids: string[] }[], label: string): Promise<WebhookRun> => {
      rx.clear();
      for (const j of jobs) rx.setSecret(j.endpoint, j.secret);
      const file = join(ctx.logDir, `${name}-jobs.json`);
      writeFileSync(file, JSON.stringify(jobs.map(({ url, secret, bodies }) => ({ url, secret, bodies }))));
      const child = spawnNode({ name, args: ['scripts/bench/lib/bare-webhook-sender.ts'], env: { JOBS_FILE: file }, logDir: ctx.logDir,
        cpuProfDir: ctx.profile.has('bare-webhooks') ? ctx.profDir : undefined });
      try {
        await waitForLog(child, 'bare webhooks ready');
        const total = jobs.reduce((s, j) => s + j.bodies.length, 0);
        child.proc.kill('SIGUSR2');
        const { a, b: m } = await watchDeliveries(rx, total, child.pid, null);
        await sleep(300);
        const expected = new Map(jobs.map((j) => [j.endpoint, j.ids]));
        for (const p of checkDeliveries({ arrivals: rx.arrivals, expected })) problems.push(`${label}: ${p}`);
        const cost = perDelivery(a, m);
        return { perSec: steadyRate(rx.arrivals.map((x) => x.at)), cpuMsPerDelivery: cost.cpu, pgCpuMsPerDelivery: 0, deliveries: rx.arrivals.length };
      } finally {
        await child.stop();
      }
    };

    const oneCase = async (endpoints: number, events: number, runs: number, what: string): Promise<WebhookCase> => {
      const c: WebhookCase = { endpoints, events, beckon: [], bare: [], median: undefined as never };
      for (let i = 1; i <= runs; i++) {
        const label = `webhooks ${what} run ${i}`;
        const x = await runBeckon(endpoints, events, label);
        // The same bodies, as the worker serialised them, each endpoint's in event order, signed with that endpoint's secret.
        const delivered = await deliveredBodies(b, run);
        const jobs = [...x.secrets].map(([endpoint, secret]) => ({
          endpoint: `bare-${endpoint}`, url: rx.url(`bare-${endpoint}`), secret, bodies: delivered.bodies, ids: delivered.ids,
        }));
        const y = await runBare(`bare-webhooks-${run}`, jobs, `bare webhook sender ${what} run ${i}`);
        c.beckon.push(x.r);
        c.bare.push(y);
        ctx.progress(`webhooks ${what} run ${i}/${runs}: beckon ${x.r.perSec.toFixed(0)} deliveries/s (worker ${x.r.cpuMsPerDelivery.toFixed(2)} CPU ms, PostgreSQL ${x.r.pgCpuMsPerDelivery.toFixed(2)} per delivery); bare ${y.perSec.toFixed(0)}/s (${y.cpuMsPerDelivery.toFixed(2)} CPU ms per delivery)`);
      }
      c.median = { beckon: medianRun(c.beckon), bare: medianRun(c.bare) };
      return c;
    };

    // Warm-up (JIT, the worker's and receiver's first connections): not counted, but checked.
    if (plan.warmUp) await oneCase(1, 50, 1, 'warm-up');
    result.cases.push(await oneCase(1, plan.oneEndpoint, ctx.plan.runs, `to one endpoint (${plan.oneEndpoint} events)`));
    result.cases.push(await oneCase(plan.endpoints, plan.perEndpoint, ctx.plan.runs, `to ${plan.endpoints} endpoints (${plan.perEndpoint} events each)`));
    result.logProblems = b.logProblems();
    return result;
  } finally {
    await beckon?.stop();
    await rx.close();
    await sim.close();
  }
}

/** The payloads of one run's events, as the worker serialises them (drain.ts), in event order. */
async function deliveredBodies(b: BeckonProcs, run: number): Promise<{ ids: string[]; bodies: string[] }> {
  const { rows } = await b.db.pool.query(`SELECT id, type, created_at, data FROM webhook_events WHERE source_key LIKE $1 ORDER BY created_at`, [`bench:${run}:%`]);
  return {
    ids: rows.map((r) => r.id as string),
    bodies: rows.map((r) => JSON.stringify({ id: r.id, type: r.type, createdAt: (r.created_at as Date).toISOString(), data: r.data })),
  };
}

/** The table lines of this scenario (a scenario that did not run shows n/a). */
export function webhookFigures(r: WebhooksResult | undefined): Figure[] {
  const one = r?.cases.find((c) => c.endpoints === 1);
  const many = r?.cases.find((c) => c.endpoints > 1);
  const f: Figure[] = [];
  f.push({ name: `Webhooks: signed deliveries/s to one endpoint (${one?.events ?? 0} events, one at a time in order)`, unit: '/s', ours: one?.median.beckon.perSec ?? NaN, baseline: one?.median.bare.perSec ?? NaN, baselineName: 'bare signing loop' });
  f.push({ name: `Webhooks: signed deliveries/s to ${many?.endpoints ?? 0} endpoints (${many?.events ?? 0} events each)`, unit: '/s', ours: many?.median.beckon.perSec ?? NaN, baseline: many?.median.bare.perSec ?? NaN, baselineName: 'bare signing loop' });
  f.push({ name: 'Webhooks: sending process CPU per delivery (one endpoint)', unit: 'ms', ours: one?.median.beckon.cpuMsPerDelivery ?? NaN, baseline: one?.median.bare.cpuMsPerDelivery ?? NaN, baselineName: 'bare signing loop' });
  f.push({ name: 'Webhooks: PostgreSQL server CPU per delivery (one endpoint)', unit: 'ms', ours: one?.median.beckon.pgCpuMsPerDelivery ?? NaN, baseline: null, baselineName: null });
  return f;
}

export const WEBHOOKS_METHOD = 'Webhooks: endpoints are added for the demo subscriber (webhook_endpoints, a new secret each, event `callback.created`, WEBHOOK_ALLOW_HTTP_LOOPBACK) pointing at a receiver in the bench process that checks every `Beckon-Signature` with its endpoint\'s secret (HMAC-SHA256 over `<t>.<raw body>`, written from the README, not imported) and answers 200. N events are recorded with the worker stopped (the webhooks repository\'s recordEvent, the path the feed and chat take), then `beckon worker` starts and its feed pass queues the endpoints; the rate is the arrivals at the receiver over the middle 80% of their timestamps, the CPU per delivery the worker\'s (and PostgreSQL\'s) between the 10% and 90% marks. One endpoint is delivered to one delivery at a time in event order (lease, head of its queue, send on a new connection, mark delivered); several endpoints side by side, up to the queue\'s concurrency of 5. Checked: every event reached each endpoint exactly once, in event order, every signature valid, nothing else arrived, and the delivery log has every delivery `delivered` at the first try. Baseline: one process (lib/bare-webhook-sender.ts) signing the same bodies with the same HMAC and secret and POSTing them to the same receiver, one loop per endpoint sending one at a time in order, a new connection per POST as Beckon\'s sender makes; checked the same way.';
