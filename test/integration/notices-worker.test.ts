import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { FormClient, signUp } from '../helpers/portal.ts';
import { insertRequestRow } from '../helpers/rows.ts';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';

// The worker process as `beckon worker` runs it: with SMTP_URL set it decides notices by itself (its periodic
// pass) and sends the notices queue's mail, including what the web process queued.

let smtp: TestSmtp;
let s: Stack;

test.before(async () => {
  smtp = await startTestSmtp();
  s = await startStack({ label: 'noticeswk', env: { SMTP_URL: smtp.url, MAIL_FROM: 'Shop Alerts <alerts@shop.example>' } });
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
