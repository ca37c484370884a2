import test from 'ava';
import { DateTime } from 'luxon';
import { startStack, type Stack } from '../helpers/stack.ts';
import { FormClient, signUp } from '../helpers/portal.ts';
import { insertRequestRow } from '../helpers/rows.ts';
import { startTestSmtp, type ReceivedMail, type TestSmtp } from '../helpers/smtp.ts';
import { sleep, until } from '../helpers/wait-for.ts';
import { startNotices, type NoticesHandle } from '../../src/notices/notices.service.ts';
import { insertAgent } from '../../src/agents/agent.repository.ts';
import { hashPassword } from '../../src/auth/password.ts';

// Notices by email against a real SMTP server started here (smtp-server; every message parsed with mailparser):
// new and missed requests, the daily digest (once per day, even with two workers), the unsubscribe link, a
// forgotten password end to end, and retries while the server refuses.

let smtp: TestSmtp;
let s: Stack;
let notices: NoticesHandle;
/** The clock digests are decided by. */
let clock = new Date();

test.before(async () => {
  smtp = await startTestSmtp();
  s = await startStack({ label: 'notices', worker: false, env: { SMTP_URL: smtp.url, TRUST_PROXY: 'true' } });
  notices = startNotices({
    pool: s.c.pool, log: s.c.log, redisUrl: s.config.REDIS_URL, prefix: s.config.REDIS_PREFIX, smtpUrl: smtp.url, from: s.config.MAIL_FROM,
    digestHour: s.config.DIGEST_HOUR, publicUrl: () => s.base, secret: s.config.SESSION_SECRET,
    intervalMs: 3_600_000, retryDelayMs: 150, now: () => clock,
  });
});
test.after.always(async () => {
  await notices?.stop();
  await s?.close();
  await smtp?.close();
});

/** A new owner, logged in, with these events on (none given: the defaults stay). */
async function owner(events?: string[]): Promise<{ client: FormClient; email: string; id: string }> {
  const { client, form } = await signUp(s.base, { timezone: 'America/Chicago' });
  if (events) {
    await client.get('/portal/notices');
    const r = await client.post('/portal/notices', Object.fromEntries(events.map((e) => [e, 'on'])));
    if (r.status !== 303) throw new Error(`notice settings not saved: ${r.status}`);
  }
  const id = (await s.c.pool.query(`SELECT id FROM subscribers WHERE email = $1`, [form.email])).rows[0].id as string;
  return { client, email: form.email!, id };
}

async function failedRequest(subscriberId: string, status = 'failed'): Promise<string> {
  const id = await insertRequestRow(s.c.pool, subscriberId, { status });
  await s.c.pool.query(`UPDATE callback_requests SET finished_at = now(), status_reason = 'no_answer', attempt_count = 3 WHERE id = $1`, [id]);
  return id;
}

/**
 * Runs the notices pass until the mail arrives: a pass skips while another holds the scan (the service's own
 * timer, another worker), exactly as in production, so one call of runOnce may decide nothing.
 */
async function passUntilMail(to: string, subject: RegExp, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    await notices.runOnce();
    const mail = await smtp.waitFor(to, subject, 500);
    if (mail || Date.now() > deadline) return mail;
  }
}

/** A header as sent (unfolded), '' when absent. */
const header = (m: ReceivedMail, name: string) => {
  const line = m.mail.headerLines.find((h) => h.key === name)?.line ?? '';
  return line.slice(line.indexOf(':') + 1).replace(/\r?\n\s+/g, ' ').trim();
};
const unsubscribeLink = (m: ReceivedMail) => /<([^>]+)>/.exec(header(m, 'list-unsubscribe'))?.[1];

test.serial('the settings page shows the defaults (missed call-backs only) and saves the owner\'s choice', async (t) => {
  const { client } = await owner();
  const page = await client.get('/portal/notices');
  t.is(page.status, 200);
  t.regex(page.text, /id="notice-missed" checked/);
  t.notRegex(page.text, /id="notice-new_request" checked/);
  t.notRegex(page.text, /notices-email-off/);
  t.regex(page.text, /href="\/portal\/notices"[^>]*aria-current|href="\/portal\/notices"/, 'the portal nav links the page');
  t.is((await client.post('/portal/notices', { new_request: 'on', digest: 'on' })).status, 303);
  const after = await client.get('/portal/notices');
  t.regex(after.text, /id="notice-new_request" checked/);
  t.regex(after.text, /id="notice-digest" checked/);
  t.notRegex(after.text, /id="notice-missed" checked/);
  t.is((await client.post('/portal/notices', { missed: 'on' }, { csrf: 'forged' })).status, 403, 'CSRF protected');
});

test.serial('a new request and a missed call-back each mail the owner once, with text and HTML parts', async (t) => {
  const o = await owner(['new_request', 'missed']);
  const requestId = await insertRequestRow(s.c.pool, o.id);
  await s.c.pool.query(`UPDATE callback_requests SET visitor_name = '<Ann & Co>', page_url = 'https://shop.example.com/prices' WHERE id = $1`, [requestId]);
  const created = await passUntilMail(o.email, /New call-back request/);
  t.truthy(created, 'the new-request notice arrived');
  t.is(created!.mail.subject, 'New call-back request from <Ann & Co>');
  t.regex(created!.mail.text!, /Name: +<Ann & Co>/, 'plain text is not HTML-escaped');
  t.regex(String(created!.mail.html), /&lt;Ann &amp; Co&gt;/, 'HTML is escaped');
  t.true(String(created!.mail.html).includes(`${s.base}/portal/requests/${requestId}`));
  t.regex(header(created!, 'from'), /no-reply@localhost/);
  t.regex(unsubscribeLink(created!) ?? '', new RegExp(`^${s.base}/notices/unsubscribe/`));
  t.is(header(created!, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  t.true(created!.mail.text!.includes(unsubscribeLink(created!)!), 'the text part has the unsubscribe link too');

  const missedId = await failedRequest(o.id, 'expired');
  const missed = await passUntilMail(o.email, /Missed call-back/);
  t.truthy(missed, 'the missed notice arrived');
  t.regex(missed!.mail.text!, /the request expired \(no_answer\) after 3 attempt/);
  t.true(missed!.mail.text!.includes(missedId));

  // Passes again (as other workers would): nothing new.
  await notices.runOnce();
  await notices.runOnce();
  await sleep(500);
  // The expired request was a new request too: two of those, one missed.
  t.is(smtp.mailsTo(o.email).length, 3);
  const rows = (await s.c.pool.query(`SELECT kind, sent_at FROM notices WHERE subscriber_id = $1 ORDER BY kind`, [o.id])).rows;
  t.deepEqual(rows.map((r) => r.kind), ['missed', 'new_request', 'new_request']);
  t.true(rows.every((r) => r.sent_at !== null));
});

test.serial('an owner who never chose hears of missed call-backs only', async (t) => {
  const o = await owner();
  await insertRequestRow(s.c.pool, o.id);
  await failedRequest(o.id);
  t.truthy(await passUntilMail(o.email, /Missed call-back/));
  await sleep(500);
  t.is(smtp.mailsTo(o.email).length, 1);
});

test.serial('the unsubscribe link turns that one event off in one click, and forged links do nothing', async (t) => {
  const o = await owner(['missed', 'new_request']);
  await failedRequest(o.id);
  const mail = await passUntilMail(o.email, /Missed call-back/);
  const link = unsubscribeLink(mail!)!;
  const path = new URL(link).pathname;
  const visitor = new FormClient(s.base);
  const page = await visitor.get(path);
  t.is(page.status, 200);
  t.regex(page.text, /A missed call-back/);
  t.regex((await o.client.get('/portal/notices')).text, /id="notice-missed" checked/, 'a GET (a mail scanner) changes nothing');
  const done = await visitor.post(path, {}, { csrf: null });
  t.is(done.status, 200);
  t.regex(done.text, /id="unsubscribe-done"/);
  const settings = (await o.client.get('/portal/notices')).text;
  t.notRegex(settings, /id="notice-missed" checked/);
  t.regex(settings, /id="notice-new_request" checked/, 'other events stay on');
  await failedRequest(o.id);
  await notices.runOnce();
  await sleep(700);
  t.is(smtp.mailsTo(o.email).filter((m) => /Missed/.test(m.mail.subject ?? '')).length, 1, 'no more missed notices');

  // A mail client's one-click POST (RFC 8058) works the same way.
  const oneClick = await fetch(`${s.base}/notices/unsubscribe/${path.split('/').pop()!.replace('.missed.', '.new_request.')}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
  });
  t.is(oneClick.status, 404, 'a token altered to name another event is refused');
  const real = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  t.is(real.status, 200);
  t.is((await visitor.get('/notices/unsubscribe/not-a-token')).status, 404);
});

test.serial('the daily digest counts yesterday in the owner\'s zone and is sent once per day, even by two workers', async (t) => {
  const o = await owner(['digest']);
  const today = DateTime.now().setZone('America/Chicago').startOf('day');
  const yesterday = today.minus({ days: 1 }).plus({ hours: 10 }).toJSDate();
  const ids = [await insertRequestRow(s.c.pool, o.id, { status: 'completed' }), await insertRequestRow(s.c.pool, o.id, { status: 'failed' }),
    await insertRequestRow(s.c.pool, o.id, { status: 'expired' }), await insertRequestRow(s.c.pool, o.id)];
  await s.c.pool.query(`UPDATE callback_requests SET created_at = $2, finished_at = CASE WHEN status <> 'queued' THEN $2::timestamptz END WHERE id = ANY($1::uuid[])`, [ids, yesterday]);
  // One from two days ago is not yesterday's.
  const older = await insertRequestRow(s.c.pool, o.id, { status: 'completed' });
  await s.c.pool.query(`UPDATE callback_requests SET created_at = $2 WHERE id = $1`, [older, today.minus({ days: 2 }).plus({ hours: 12 }).toJSDate()]);

  clock = today.plus({ hours: 7, minutes: 59 }).toJSDate();
  await notices.runOnce();
  await sleep(500);
  t.is(smtp.mailsTo(o.email).length, 0, 'not before DIGEST_HOUR (8) local time');

  clock = today.plus({ hours: 8, minutes: 1 }).toJSDate();
  const second = startNotices({
    pool: s.c.pool, log: s.c.log, redisUrl: s.config.REDIS_URL, prefix: s.config.REDIS_PREFIX, smtpUrl: smtp.url, from: s.config.MAIL_FROM,
    digestHour: s.config.DIGEST_HOUR, publicUrl: () => s.base, secret: s.config.SESSION_SECRET, intervalMs: 3_600_000, retryDelayMs: 150, now: () => clock,
  });
  try {
    await Promise.all([notices.runOnce(), second.runOnce(), notices.runOnce(), second.runOnce()]);
    const digest = await smtp.waitFor(o.email, /requests/);
    t.truthy(digest);
    const day = today.minus({ days: 1 }).toISODate();
    t.is(digest!.mail.subject, `${(await s.c.pool.query(`SELECT name FROM subscribers WHERE id = $1`, [o.id])).rows[0].name} on ${day}: 4 requests, 1 completed, 2 missed`);
    t.regex(String(digest!.mail.html), /id="digest-requests">4</);
    clock = today.plus({ hours: 20 }).toJSDate();
    await Promise.all([notices.runOnce(), second.runOnce()]);
    await sleep(700);
    t.is(smtp.mailsTo(o.email).length, 1, 'one digest per day');
    clock = today.plus({ days: 1, hours: 9 }).toJSDate();
    await notices.runOnce();
    const next = await smtp.waitFor(o.email, new RegExp(`on ${today.toISODate()}: 0 requests`));
    t.truthy(next, 'the next day has its own digest');
  } finally {
    await second.stop();
    clock = new Date();
  }
});

test.serial('a refused mail is retried with back-off until the SMTP server takes it', async (t) => {
  const o = await owner();
  smtp.refuseNext(2);
  const refusedBefore = smtp.refused;
  await failedRequest(o.id);
  await notices.runOnce();
  const mail = await smtp.waitFor(o.email, /Missed call-back/, 20000);
  t.truthy(mail, 'delivered after the refusals');
  t.is(smtp.refused - refusedBefore, 2);
  // The SMTP server has the mail before the sender has marked it sent.
  const sent = async () => (await s.c.pool.query(`SELECT sent_at, last_error FROM notices WHERE subscriber_id = $1`, [o.id])).rows[0];
  for (const until = Date.now() + 5000; !(await sent()).sent_at && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
  const row = await sent();
  t.truthy(row.sent_at);
  t.is(row.last_error, null);
});

test.serial('a mail refused at every one of its 8 tries is given up, and the notice says why', async (t) => {
  const o = await owner();
  // A consumer whose jobs back off quickly: the job's back-off is set by the pass that queues it.
  const quick = startNotices({
    pool: s.c.pool, log: s.c.log, redisUrl: s.config.REDIS_URL, prefix: s.config.REDIS_PREFIX, smtpUrl: smtp.url, from: s.config.MAIL_FROM,
    digestHour: s.config.DIGEST_HOUR, publicUrl: () => s.base, secret: s.config.SESSION_SECRET, intervalMs: 3_600_000, retryDelayMs: 10, now: () => clock,
  });
  try {
    smtp.refuseNext(1000);
    const before = smtp.refused;
    await failedRequest(o.id);
    await quick.runOnce();
    const row = await until(async () => (await s.c.pool.query(`SELECT failed_at, sent_at, last_error FROM notices WHERE subscriber_id = $1 AND failed_at IS NOT NULL`, [o.id])).rows[0], 20_000);
    t.truthy(row, 'given up');
    t.is(row.sent_at, null);
    t.regex(row.last_error, /451/);
    t.is(smtp.refused - before, 8);
  } finally {
    smtp.refuseNext(0);
    await quick.stop();
  }
});

test.serial('a forgotten password: "Forgot password?" → mail → one-time link → the new password logs in', async (t) => {
  const { form } = await signUp(s.base);
  const browser = new FormClient(s.base);
  const login = await browser.get('/login');
  t.regex(login.text, /id="forgot-link"/);
  t.is((await browser.get('/forgot')).status, 200);
  const asked = await browser.post('/forgot', { email: form.email!.toUpperCase() });
  t.is(asked.status, 200);
  t.regex(asked.text, /id="forgot-sent"/);
  // The same answer for an address nobody has.
  const stranger = await new FormClient(s.base).get('/forgot').then(() => browser.post('/forgot', { email: 'nobody-here@example.com' }));
  t.is(stranger.status, 200);
  t.is(stranger.text.replace('nobody-here@example.com', 'X'), asked.text.replace(form.email!.toLowerCase(), 'X'));

  const mail = await smtp.waitFor(form.email!, /new Beckon password/);
  t.truthy(mail);
  t.false(header(mail!, 'list-unsubscribe') !== '', 'a password mail is no notice: no unsubscribe');
  const link = new RegExp(`${s.base}/reset/[\\w-]{43}`).exec(mail!.mail.text!)?.[0];
  t.truthy(link);
  const path = new URL(link!).pathname;
  t.is((await browser.get(path)).status, 200);
  const set = await browser.post(path, { newPassword: 'mailed reset 2026!', confirmPassword: 'mailed reset 2026!' });
  t.is(set.status, 303);
  t.is(set.location, '/portal');
  const fresh = new FormClient(s.base);
  await fresh.get('/login');
  t.is((await fresh.post('/login', { email: form.email!, password: 'mailed reset 2026!' })).status, 303, 'the new password logs in');
  t.is((await new FormClient(s.base).get(path)).status, 404, 'the link worked once');
  await sleep(300);
  t.is(smtp.mailsTo('nobody-here@example.com').length, 0);
});

test.serial('forgotten-password mails are rate limited per address and per client IP', async (t) => {
  const { form } = await signUp(s.base);
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const c = new FormClient(s.base); // each its own IP
    await c.get('/forgot');
    statuses.push((await c.post('/forgot', { email: form.email! })).status);
  }
  t.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  const one = new FormClient(s.base);
  await one.get('/forgot');
  const fromOneIp: number[] = [];
  for (let i = 0; i < 6; i++) fromOneIp.push((await one.post('/forgot', { email: `someone-${i}@example.com` })).status);
  t.deepEqual(fromOneIp, [200, 200, 200, 200, 200, 429]);
});

test.serial('without SMTP_URL: no "Forgot password?", and the notices page says email is off', async (t) => {
  const off = await startStack({ label: 'notices-off', worker: false });
  try {
    const { client } = await signUp(off.base);
    const page = await client.get('/portal/notices');
    t.is(page.status, 200);
    t.regex(page.text, /id="notices-email-off"/);
    const login = await new FormClient(off.base).get('/login');
    t.notRegex(login.text, /forgot-link/);
    t.is((await new FormClient(off.base).get('/forgot')).status, 404);
  } finally {
    await off.close();
  }
});

test.serial('an agent whose login is its address resets a forgotten password by email; the links of owners and agents are not interchangeable', async (t) => {
  const login = `agent-${Date.now().toString(36)}@example.com`;
  await insertAgent(s.c.pool, { name: 'Mailed Agent', login, endpoint: 'PJSIP/mailedagent', passwordHash: await hashPassword('old agent password') });
  const browser = new FormClient(s.base);
  t.regex((await browser.get('/agent/login')).text, /id="forgot-link"/);
  await browser.get('/agent/forgot');
  const asked = await browser.post('/agent/forgot', { login: login.toUpperCase() });
  t.is(asked.status, 200);
  t.regex(asked.text, /id="forgot-sent"/);
  const mail = await smtp.waitFor(login, /new Beckon password/);
  t.truthy(mail);
  const link = new RegExp(`${s.base}/agent/reset/[\\w-]{43}`).exec(mail!.mail.text!)?.[0];
  t.truthy(link);
  const path = new URL(link!).pathname;
  t.is((await new FormClient(s.base).get(path.replace('/agent', ''))).status, 404, 'an agent link is no owner link');
  t.is((await browser.get(path)).status, 200);
  t.is((await browser.post(path, { newPassword: 'short', confirmPassword: 'short' })).status, 400);
  const set = await browser.post(path, { newPassword: 'agent mailed 2026', confirmPassword: 'agent mailed 2026' });
  t.is(set.status, 200);
  t.regex(set.text, /id="reset-done"/);
  const agent = new FormClient(s.base);
  await agent.get('/agent/login');
  const loggedIn = await agent.post('/agent/login', { login, password: 'agent mailed 2026' });
  t.is(loggedIn.status, 302);
  t.is(loggedIn.location, '/agent');
  t.is((await new FormClient(s.base).get(path)).status, 404, 'used up');

  // An owner's mailed link does not open the agent's page.
  const { form } = await signUp(s.base);
  const c = new FormClient(s.base);
  await c.get('/forgot');
  await c.post('/forgot', { email: form.email! });
  const ownerMail = await smtp.waitFor(form.email!, /new Beckon password/);
  const ownerPath = new URL(new RegExp(`${s.base}/reset/[\\w-]{43}`).exec(ownerMail!.mail.text!)![0]).pathname;
  t.is((await c.get(`/agent${ownerPath}`)).status, 404);
  t.is((await c.get(ownerPath)).status, 200, 'and still works where it belongs');

  // A login that is no address gets no mail, and the same answer.
  await insertAgent(s.c.pool, { name: 'Plain Agent', login: 'plain-agent-login', endpoint: 'PJSIP/plainagent', passwordHash: await hashPassword('plain agent password') });
  const plain = await browser.post('/agent/forgot', { login: 'plain-agent-login' });
  t.is(plain.status, 200);
  t.regex(plain.text, /id="forgot-sent"/);
});
