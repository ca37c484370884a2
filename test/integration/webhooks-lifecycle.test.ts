import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { mergeSettings, subscriberId } from '../helpers/subscribers.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { until } from '../helpers/wait-for.ts';
import { insertEndpoint } from '../../src/webhooks/webhook.repository.ts';
import { newWebhookSecret, verifySignature } from '../../src/webhooks/signature.ts';

/*
 * Real call-backs through web, worker and the simulator: the worker's feed turns their history into events and
 * the endpoint receives them signed, in the order they happened.
 */
let s: Stack;
let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;
const secret = newWebhookSecret();

test.before(async () => {
  rx = await startWebhookReceiver();
  s = await startStack({ label: 'webhooks_life', env: { WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true', WEBHOOK_FEED_INTERVAL_MS: '100' } });
  await mergeSettings(s, { retry: { maxAttempts: 1 } });
  s.sim.setRules([{ pattern: '[1-5]$', behavior: { kind: 'answer' as const, afterMs: 1000, hangupAfterMs: 30_000 } }]);
  await insertEndpoint(s.c.pool, {
    subscriberId: await subscriberId(s), url: rx.url(), secret,
    events: ['callback.created', 'attempt.ended', 'callback.completed', 'callback.failed'],
  });
});
test.after.always(async () => { await s?.close(); await rx?.close(); });

const eventsOf = (requestId: string) => rx.received.filter((r) => r.json?.data?.requestId === requestId);

test.serial('an answered call-back: created, attempt ended (answered), completed, signed and in order', async (t) => {
  const r = await request(s.base, '+1 202 555 0141');
  t.is(r.status, 202);
  t.is((await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 30_000)).status, 'completed');
  await until(() => eventsOf(r.json.id).length >= 3, 15_000);
  const got = eventsOf(r.json.id);
  t.deepEqual(got.map((e) => e.json.type), ['callback.created', 'attempt.ended', 'callback.completed']);
  t.like(got[0]!.json.data, { status: 'queued', phone: '+12025550141', kind: 'callback' });
  t.like(got[1]!.json.data, { outcome: 'answered', attempt: 1 });
  t.truthy(got[1]!.json.data.answeredAt);
  t.like(got[2]!.json.data, { status: 'completed', attempts: 1 });
  for (const e of got) t.true(verifySignature(String(e.headers['beckon-signature']), e.body, secret));
});

test.serial('a busy visitor: the request fails and callback.failed says so', async (t) => {
  const r = await request(s.base, '+1 202 555 0150');
  t.is((await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 30_000)).status, 'failed');
  await until(() => eventsOf(r.json.id).length >= 3, 15_000);
  const got = eventsOf(r.json.id);
  t.deepEqual(got.map((e) => e.json.type), ['callback.created', 'attempt.ended', 'callback.failed']);
  t.like(got[1]!.json.data, { outcome: 'busy', cause: 17 });
  t.like(got[2]!.json.data, { status: 'failed' });
});
