import test from 'ava';
import { createTestDatabase, testRedisPrefix } from '../helpers/database.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { insertRequestRow, insertVerifiedSubscriber } from '../helpers/rows.ts';
import { until } from '../helpers/wait-for.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWebhookWorker, type WebhookWorker } from '../../src/webhooks/webhook-worker.ts';
import { createSender } from '../../src/webhooks/webhook-sender.ts';
import { verifySignature, newWebhookSecret } from '../../src/webhooks/signature.ts';
import { insertEndpoint, rotateSecret, findEndpoint, pruneDeliveries, recordEvent } from '../../src/webhooks/webhook.repository.ts';
import type { ScratchDatabase } from '../../src/platform/db/scratch-database.ts';

/*
 * The worker's webhook side against a real database, Redis and a real HTTP receiver: events made from request
 * history, signed, retried after failures, delivered in order, both signatures during a rotation, endpoints
 * disabled after failing the whole (here short) window, and the SSRF refusals.
 */
let db: ScratchDatabase;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = createLogger('silent');
const workers: WebhookWorker[] = [];

test.before(async () => { db = await createTestDatabase('webhooks_delivery'); });
// Each test's worker stops with it: every worker's feed reads the one database, and a later test's rules are its own.
test.afterEach.always(async () => { for (const w of workers.splice(0)) await w.stop(); });
test.after.always(async () => { await db?.drop(); });

const FAST = { baseDelayMs: 100, maxDelayMs: 400, windowMs: 60_000, disableAfterMs: 60_000 };

function worker(o: { rules?: typeof FAST; lookup?: Parameters<typeof createSender>[0]['lookup'] } = {}): WebhookWorker {
  const w = startWebhookWorker({
    pool: db.pool, redisUrl: REDIS_URL, prefix: testRedisPrefix('wh'), log, rules: o.rules ?? FAST, timeoutMs: 2000,
    allowLoopback: true, intervalMs: 100, send: o.lookup ? createSender({ allowLoopback: true, timeoutMs: 2000, lookup: o.lookup }) : undefined,
  });
  workers.push(w);
  return w;
}

let n = 0;
async function tenantWithEndpoint(url: string, events = ['callback.created', 'callback.completed', 'attempt.ended', 'callback.failed']) {
  const subscriberId = await insertVerifiedSubscriber(db.pool, `wh-${process.pid}-${++n}`);
  const secret = newWebhookSecret();
  const endpoint = await insertEndpoint(db.pool, { subscriberId, url, events, secret });
  return { subscriberId, secret, endpoint };
}

/** A request's history as the lifecycle writes it: created queued, then each move. */
async function requestWithHistory(subscriberId: string, moves: string[]): Promise<string> {
  const id = await insertRequestRow(db.pool, subscriberId);
  let from: string | null = null;
  for (const to of ['queued', ...moves]) {
    await db.pool.query(`INSERT INTO request_status_history (request_id, from_status, to_status) VALUES ($1, $2, $3)`, [id, from, to]);
    from = to;
  }
  return id;
}

test.serial('a delivery is a signed JSON POST the receiver verifies with its secret; each event once', async (t) => {
  const rx = await startWebhookReceiver();
  const { subscriberId, secret, endpoint } = await tenantWithEndpoint(rx.url());
  const requestId = await requestWithHistory(subscriberId, ['dialing', 'completed']);
  const w = worker();
  await until(() => rx.received.length >= 2, 10_000);
  await w.runOnce();
  await w.runOnce();
  t.is(rx.received.length, 2, 'created and completed, each once though the feed read them again');
  const [created, completed] = rx.received;
  t.like(created!.json, { type: 'callback.created', data: { requestId, status: 'queued' } });
  t.like(completed!.json, { type: 'callback.completed', data: { requestId, status: 'completed', previousStatus: 'dialing' } });
  for (const r of rx.received) {
    t.true(verifySignature(String(r.headers['beckon-signature']), r.body, secret), 'the signature verifies');
    t.false(verifySignature(String(r.headers['beckon-signature']), `${r.body} `, secret), 'a changed body does not');
    t.is(r.headers['beckon-event'], r.json.type);
    t.regex(String(r.headers['beckon-delivery']), /^[0-9a-f-]{36}$/);
    t.regex(r.json.id, /^[0-9a-f-]{36}$/);
    t.true(Number.isFinite(Date.parse(r.json.createdAt)));
    t.is(r.headers['content-type'], 'application/json');
  }
  const log = (await db.pool.query(`SELECT status, attempts, last_status FROM webhook_deliveries WHERE endpoint_id = $1`, [endpoint.id])).rows;
  t.deepEqual(log.map((d) => [d.status, d.attempts, d.last_status]), [['delivered', 1, 200], ['delivered', 1, 200]]);
  await rx.close();
});

test.serial('after 500s the delivery is retried with back-off and succeeds; deliveries behind it wait, and arrive in order', async (t) => {
  const rx = await startWebhookReceiver((_r, k) => (k <= 3 ? 500 : 200));
  const { subscriberId, endpoint } = await tenantWithEndpoint(rx.url());
  const first = await requestWithHistory(subscriberId, []);
  const second = await requestWithHistory(subscriberId, []);
  const third = await requestWithHistory(subscriberId, ['dialing', 'failed']);
  worker();
  await until(() => rx.received.length >= 7, 15_000);
  const seen = rx.received.map((r) => `${r.json.type}:${r.json.data.requestId}`);
  t.deepEqual(seen, [
    `callback.created:${first}`, `callback.created:${first}`, `callback.created:${first}`, `callback.created:${first}`,
    `callback.created:${second}`, `callback.created:${third}`, `callback.failed:${third}`,
  ], 'three 500s, then success, then the rest in the order they happened');
  const gaps = [1, 2, 3].map((i) => rx.received[i]!.at - rx.received[i - 1]!.at);
  t.true(gaps[0]! >= 90 && gaps[1]! >= 190 && gaps[2]! >= 390, `back-off doubles: ${gaps.join(', ')} ms`);
  t.is(new Set(rx.received.slice(0, 4).map((r) => r.json.id)).size, 1, 'a retry carries the same event id');
  const head = (await db.pool.query(`SELECT attempts, status, last_status FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY seq LIMIT 1`, [endpoint.id])).rows[0];
  t.like(head, { attempts: 4, status: 'delivered', last_status: 200 });
  t.is((await findEndpoint(db.pool, subscriberId, endpoint.id))!.failingSince, null, 'a success ends the failing streak');
  await rx.close();
});

test.serial('during a rotation both the new and the previous secret sign every delivery', async (t) => {
  const rx = await startWebhookReceiver();
  const { subscriberId, secret: old, endpoint } = await tenantWithEndpoint(rx.url());
  const fresh = newWebhookSecret();
  await rotateSecret(db.pool, subscriberId, endpoint.id, fresh, 3600);
  await requestWithHistory(subscriberId, []);
  worker();
  await until(() => rx.received.length >= 1, 10_000);
  const [r] = rx.received;
  const header = String(r!.headers['beckon-signature']);
  t.regex(header, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
  t.true(verifySignature(header, r!.body, fresh));
  t.true(verifySignature(header, r!.body, old));
  t.false(verifySignature(header, r!.body, newWebhookSecret()));
  // Once the overlap is over, only the new secret signs.
  await db.pool.query(`UPDATE webhook_endpoints SET previous_secret_until = now() - interval '1 second' WHERE id = $1`, [endpoint.id]);
  await requestWithHistory(subscriberId, []);
  await until(() => rx.received.length >= 2, 10_000);
  const later = String(rx.received[1]!.headers['beckon-signature']);
  t.regex(later, /^t=\d+,v1=[0-9a-f]{64}$/);
  t.false(verifySignature(later, rx.received[1]!.body, old));
  t.true(verifySignature(later, rx.received[1]!.body, fresh));
  await rx.close();
});

test.serial('a delivery still failing at the end of its retry window is given up, and the next one goes', async (t) => {
  const rx = await startWebhookReceiver(() => 503);
  const { subscriberId, endpoint } = await tenantWithEndpoint(rx.url());
  await requestWithHistory(subscriberId, []);
  await requestWithHistory(subscriberId, []);
  worker({ rules: { baseDelayMs: 50, maxDelayMs: 100, windowMs: 400, disableAfterMs: 60_000 } });
  const statuses = async () => (await db.pool.query(`SELECT status FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY seq`, [endpoint.id])).rows.map((r) => r.status);
  t.deepEqual(await until(async () => { const s = await statuses(); return s.length === 2 && s.every((x) => x === 'failed') && s; }, 10_000), ['failed', 'failed']);
  const types = new Set(rx.received.map((r) => r.json.data.requestId));
  t.is(types.size, 2, 'the second was tried once the first was given up');
  t.true((await findEndpoint(db.pool, subscriberId, endpoint.id))!.enabled, 'within the disable window the endpoint stays enabled');
  await rx.close();
});

test.serial('an endpoint with no success for the whole disable window is disabled and sent nothing more', async (t) => {
  const rx = await startWebhookReceiver(() => 500);
  const { subscriberId, endpoint } = await tenantWithEndpoint(rx.url());
  await requestWithHistory(subscriberId, []);
  worker({ rules: { baseDelayMs: 50, maxDelayMs: 100, windowMs: 60_000, disableAfterMs: 800 } });
  t.true(await until(async () => !(await findEndpoint(db.pool, subscriberId, endpoint.id))!.enabled, 10_000));
  const e = (await findEndpoint(db.pool, subscriberId, endpoint.id))!;
  t.regex(e.disabledReason ?? '', /No successful delivery since/);
  const count = rx.received.length;
  t.true(count >= 3);
  await requestWithHistory(subscriberId, []);
  await new Promise((r) => setTimeout(r, 600));
  t.is(rx.received.length, count, 'a disabled endpoint is sent nothing');
  const pending = (await db.pool.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'`, [endpoint.id])).rows[0].n;
  t.is(pending, 1, 'its delivery waits for the endpoint to be enabled again');
  await rx.close();
});

test.serial('SSRF: a name resolving to a private address is refused at connect time, and a redirect is not followed', async (t) => {
  const target = await startWebhookReceiver();
  const rx = await startWebhookReceiver(() => ({ status: 302, location: target.url('/elsewhere') }));
  const port = new URL(rx.url()).port;
  const lookup = (host: string, _o: { all: true }, cb: (err: NodeJS.ErrnoException | null, a: { address: string; family: number }[]) => void) =>
    cb(null, [{ address: host === 'internal.test' ? '10.1.2.3' : '127.0.0.1', family: 4 }]);
  const a = await tenantWithEndpoint(`http://internal.test:${port}/hook`);
  const b = await tenantWithEndpoint(`http://public.test:${port}/hook`);
  await requestWithHistory(a.subscriberId, []);
  await requestWithHistory(b.subscriberId, []);
  worker({ lookup, rules: { ...FAST, baseDelayMs: 60_000 } });
  const lastOf = async (endpointId: string) =>
    (await db.pool.query(`SELECT attempts, last_status, last_error FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY seq LIMIT 1`, [endpointId])).rows[0];
  await until(async () => (await lastOf(a.endpoint.id))?.attempts >= 1 && (await lastOf(b.endpoint.id))?.attempts >= 1, 10_000);
  const privateTry = await lastOf(a.endpoint.id);
  t.is(privateTry.last_status, null);
  t.regex(privateTry.last_error, /10\.1\.2\.3, not a public address/);
  const redirected = await lastOf(b.endpoint.id);
  t.is(redirected.last_status, 302);
  t.regex(redirected.last_error, /redirects are not followed/);
  t.is(rx.received.length, 1, 'the redirecting endpoint was reached once (through the name, on loopback)');
  t.is(target.received.length, 0, 'the redirect target was never requested');

  // Literal addresses: private, link-local (metadata) and, without the test setting, loopback.
  const strict = createSender({ allowLoopback: false, timeoutMs: 1000 });
  for (const url of ['http://10.0.0.1/x', 'https://169.254.169.254/latest', 'https://[::1]/x', rx.url()]) {
    const r = await strict(url, '{}', {});
    t.false(r.ok, url);
    t.regex(r.error ?? '', /not a public address/, url);
  }
  t.is(rx.received.length, 1);
  await rx.close();
  await target.close();
});

test.serial('the log keeps finished deliveries for its days; pending ones stay whatever their age', async (t) => {
  const { subscriberId, endpoint } = await tenantWithEndpoint('https://prune.example.com/hook', ['callback.created']);
  for (const k of ['old-done', 'old-pending', 'new-done']) {
    await recordEvent(db.pool, { subscriberId, type: 'callback.created', sourceKey: `prune:${endpoint.id}:${k}`, data: { k }, at: new Date() });
  }
  const ids = (await db.pool.query(`SELECT d.id, ev.data->>'k' AS k FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id WHERE d.endpoint_id = $1`, [endpoint.id])).rows;
  const id = (k: string) => ids.find((r) => r.k === k).id;
  await db.pool.query(`UPDATE webhook_deliveries SET status = 'delivered' WHERE id = ANY($1)`, [[id('old-done'), id('new-done')]]);
  await db.pool.query(`UPDATE webhook_deliveries SET created_at = now() - interval '31 days' WHERE id = ANY($1)`, [[id('old-done'), id('old-pending')]]);
  await db.pool.query(`UPDATE webhook_events SET created_at = now() - interval '31 days' WHERE data->>'k' IN ('old-done', 'old-pending') AND source_key LIKE $1`, [`prune:${endpoint.id}:%`]);
  t.is(await pruneDeliveries(db.pool, 30), 1);
  const left = (await db.pool.query(`SELECT ev.data->>'k' AS k FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id WHERE d.endpoint_id = $1 ORDER BY d.seq`, [endpoint.id])).rows.map((r) => r.k);
  t.deepEqual(left, ['old-pending', 'new-done']);
  t.is((await db.pool.query(`SELECT count(*)::int AS n FROM webhook_events WHERE source_key = $1`, [`prune:${endpoint.id}:old-done`])).rows[0].n, 0, 'its event went with it');
});
