import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { FormClient, signUp } from '../helpers/portal.ts';
import { insertRequestRow } from '../helpers/rows.ts';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { insertEndpoint, findEndpoint } from '../../src/webhooks/webhook.repository.ts';
import { newWebhookSecret } from '../../src/webhooks/signature.ts';
import { until } from '../helpers/wait-for.ts';

// The worker process as `beckon worker` runs it: with SMTP_URL set it decides notices by itself (its periodic
// pass) and sends the notices queue's mail, including what the web process queued.

let smtp: TestSmtp;
let s: Stack;

test.before(async () => {
  smtp = await startTestSmtp();
  s = await startStack({
    label: 'noticeswk',
    env: {
      SMTP_URL: smtp.url, MAIL_FROM: 'Shop Alerts <alerts@shop.example>',
      // A webhook endpoint that fails is turned off within a second or two here (3 days by default).
      WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true', WEBHOOK_FEED_INTERVAL_MS: '100', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_DISABLE_AFTER_SEC: '1',
    },
  });
});
test.after.always(async () => { await s?.close(); await smtp?.close(); });

test('the worker mails a missed call-back on its own pass, and a forgotten-password mail the web queued', async (t) => {
  const { form } = await signUp(s.base);
  const id = (await s.c.pool.query(`SELECT id FROM subscribers WHERE email = $1`, [form.email])).rows[0].id as string;
  const requestId = await insertRequestRow(s.c.pool, id, { status: 'expired' });
  await s.c.pool.query(`UPDATE callback_requests SET finished_at = now() WHERE id = $1`, [requestId]);
  const missed = await smtp.waitFor(form.email!, /Missed call-back/, 25_000);
  t.truthy(missed, 'sent within a pass interval');
  t.is(missed!.mail.from?.value[0]?.address, 'alerts@shop.example');
  t.is(missed!.mail.from?.value[0]?.name, 'Shop Alerts');

  const browser = new FormClient(s.base);
  await browser.get('/forgot');
  t.is((await browser.post('/forgot', { email: form.email! })).status, 200);
  t.truthy(await smtp.waitFor(form.email!, /new Beckon password/));
});

test('the worker turns off a webhook endpoint that keeps failing and mails its owner once, with a link to turn it on', async (t) => {
  const rx = await startWebhookReceiver(() => 500);
  try {
    const { form } = await signUp(s.base);
    const id = (await s.c.pool.query(`SELECT id FROM subscribers WHERE email = $1`, [form.email])).rows[0].id as string;
    const endpoint = await insertEndpoint(s.c.pool, { subscriberId: id, url: rx.url(), events: ['callback.created'], secret: newWebhookSecret() });
    // An event for it: a request's first history row, as accepting one writes it.
    const requestId = await insertRequestRow(s.c.pool, id);
    await s.c.pool.query(`INSERT INTO request_status_history (request_id, from_status, to_status) VALUES ($1, NULL, 'queued')`, [requestId]);
    t.true(await until(async () => !(await findEndpoint(s.c.pool, id, endpoint.id))!.enabled, 20_000), 'turned off');
    const mail = await smtp.waitFor(form.email!, /webhook .* was turned off/, 20_000);
    t.truthy(mail);
    t.true(mail!.mail.text!.includes(rx.url()));
    t.true(mail!.mail.text!.includes(`${s.base}/portal/webhooks/${endpoint.id}`));
    const { rows } = await s.c.pool.query(`SELECT count(*)::int AS n FROM notices WHERE subscriber_id = $1 AND kind = 'webhook_disabled'`, [id]);
    t.is(rows[0].n, 1);
  } finally {
    await rx.close();
  }
});
