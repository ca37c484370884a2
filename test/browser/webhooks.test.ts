import test from 'ava';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { portalPage } from '../helpers/portal-login.ts';
import { insertRequestRow } from '../helpers/rows.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { until } from '../helpers/wait-for.ts';
import { startWebhookWorker, type WebhookWorker } from '../../src/webhooks/webhook-worker.ts';
import { verifySignature } from '../../src/webhooks/signature.ts';

/** The owner's Webhooks page in a browser: an endpoint added, its secret read once and used to verify a real delivery, the log, "send again", rotation. */

let s: Stack;
let browser: Browser;
let worker: WebhookWorker;
let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;

test.before(async () => {
  rx = await startWebhookReceiver();
  s = await startStack({ label: 'webhooksui', worker: false, env: { WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true' } });
  worker = startWebhookWorker({
    pool: s.c.pool, redisUrl: s.config.REDIS_URL, prefix: s.config.REDIS_PREFIX, log: s.c.log, intervalMs: 100, timeoutMs: 2000, allowLoopback: true,
    rules: { baseDelayMs: 100, maxDelayMs: 400, windowMs: 60_000, disableAfterMs: 60_000 },
  });
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await worker?.stop(); await s?.close(); await rx?.close(); });

test.serial('the owner adds an endpoint, verifies a delivery with the secret shown once, sends it again and rotates the secret', async (t) => {
  const page = await portalPage(browser, s.base, 1280);
  await page.locator('header nav').getByRole('link', { name: 'Webhooks' }).click();
  await page.waitForURL(`${s.base}/portal/webhooks`);
  t.is(await page.locator('header nav a[aria-current="page"]').getAttribute('href'), '/portal/webhooks');
  await page.getByLabel(/URL/).fill(rx.url('/beckon'));
  await page.getByLabel('callback.created').check();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const secret = (await page.locator('#new-secret code').innerText()).trim();
  t.regex(secret, /^whsec_/);

  const demoId = (await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`)).rows[0].id as string;
  const requestId = await insertRequestRow(s.c.pool, demoId);
  await s.c.pool.query(`INSERT INTO request_status_history (request_id, from_status, to_status) VALUES ($1, NULL, 'queued')`, [requestId]);
  await until(() => rx.received.length >= 1, 10_000);
  const [first] = rx.received;
  t.is(first!.path, '/beckon');
  t.like(first!.json, { type: 'callback.created', data: { requestId } });
  t.true(verifySignature(String(first!.headers['beckon-signature']), first!.body, secret), 'the secret from the page verifies the delivery');

  // The endpoint's page: the secret is not shown again; the log has the delivery with its answer.
  await page.goto(`${s.base}/portal/webhooks`);
  await page.getByRole('link', { name: rx.url('/beckon') }).click();
  t.is(await page.locator('#new-secret').count(), 0);
  const row = page.locator('#deliveries tbody tr').first();
  t.regex(await row.innerText(), /callback\.created[\s\S]*delivered[\s\S]*200[\s\S]*ms/);
  await row.getByRole('button', { name: 'Send again' }).click();
  t.regex(await page.locator('.flash').innerText(), /Sent again/);
  await until(() => rx.received.length >= 2, 10_000);
  t.is(rx.received[1]!.json.id, first!.json.id, 'the same event');
  t.not(rx.received[1]!.headers['beckon-delivery'], first!.headers['beckon-delivery'], 'a new delivery');

  await page.getByRole('button', { name: /New secret/ }).click();
  const fresh = (await page.locator('#new-secret code').innerText()).trim();
  t.not(fresh, secret);
  t.regex(await page.locator('#new-secret').innerText(), /previous secret still signs/);
  await page.reload();
  t.is(await page.locator('#new-secret').count(), 0, 'a reload shows the secret no more, and makes no other');
  await page.locator('#deliveries tbody tr').first().getByRole('button', { name: 'Send again' }).click();
  await until(() => rx.received.length >= 3, 10_000);
  const third = rx.received[2]!;
  t.true(verifySignature(String(third.headers['beckon-signature']), third.body, fresh));
  t.true(verifySignature(String(third.headers['beckon-signature']), third.body, secret), 'the old secret signs too during the overlap');

  await page.getByRole('button', { name: 'Disable' }).click();
  t.regex(await page.locator('main').innerText(), /disabled/);
  await page.close();
});
