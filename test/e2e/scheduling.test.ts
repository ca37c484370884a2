import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { jobIdFor } from '../../src/platform/queue/callback-queue.ts';
import { insertSubscriber, insertDomain } from '../../src/subscribers/subscriber.repository.ts';

let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'scheduling', env: { SCHEDULE_RECOVERY_GRACE_MS: '0', SCHEDULE_RECOVERY_INTERVAL_MS: '3600000' } });
});
test.after.always(async () => { await s?.close(); });

const hhmm = (d: Date) => d.toISOString().slice(11, 16);
const all = (open: string, close: string) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ open, close }]]));

/** A subscriber in UTC with the given hours (and retry policy), whose phone answers in the simulator. */
async function shop(slug: string, settings: Record<string, unknown>, timezone = 'UTC') {
  const sub = await insertSubscriber(s.c.pool, { slug, name: `Shop ${slug}`, country: 'US', timezone, phoneE164: '+12025550111', phoneVerified: true, settings });
  await insertDomain(s.c.pool, sub.id, `${slug}.example`);
  return sub;
}

async function jobOf(id: string, attempt = 0) {
  const job = await s.c.queue.queue.getJob(jobIdFor(id, attempt));
  return job ? { job, state: await job.getState() } : null;
}

test('a request made while the subscriber is closed is scheduled for the next opening with a delayed job, and runs when it fires', async (t) => {
  // Closed now, opens in about 3 hours (every day), in UTC.
  const now = new Date();
  const opens = new Date(Math.ceil((now.getTime() + 3 * 3600_000) / 60_000) * 60_000);
  const closes = new Date(opens.getTime() + 3600_000);
  await shop('closed-now', { hours: { weekly: all(hhmm(opens), hhmm(closes)) } });
  const r = await request(s.base, '+1 202 555 0311', { subscriber: 'closed-now' });
  t.is(r.status, 202, r.text);
  t.is(r.json.status, 'scheduled');
  const st = await waitForStatus(s.base, r.json, () => true);
  t.is(st.scheduledAt, opens.toISOString());
  const j = await jobOf(r.json.id);
  t.is(j?.state, 'delayed');
  const fireAt = j!.job.timestamp + (j!.job.opts.delay ?? 0);
  t.true(Math.abs(fireAt - opens.getTime()) < 5000, `job fires at ${new Date(fireAt).toISOString()}`);
  t.is(s.sim.originates({ number: '12025550311' }).length, 0, 'nothing dialed while closed');
  // Time passes: the request is due and its delayed job fires.
  await s.c.pool.query(`UPDATE callback_requests SET next_attempt_at = now() WHERE id = $1`, [r.json.id]);
  await j!.job.promote();
  const done = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(done.status, 'completed');
  t.is(s.sim.originates({ number: '12025550311' }).length, 1);
});

test('a visitor-chosen time outside business hours is refused with the next opening; one inside is scheduled', async (t) => {
  const now = new Date();
  const opens = new Date(Math.ceil((now.getTime() + 2 * 3600_000) / 60_000) * 60_000);
  await shop('opens-later', { hours: { weekly: all(hhmm(opens), hhmm(new Date(opens.getTime() + 3600_000))) } });
  const closedTime = new Date(opens.getTime() - 3600_000).toISOString();
  const refused = await request(s.base, '+1 202 555 0312', { subscriber: 'opens-later', scheduledAt: closedTime });
  t.is(refused.status, 400);
  t.is(refused.json.error.code, 'outside_business_hours');
  t.is(refused.json.error.nextOpening, opens.toISOString());
  t.is((await s.c.pool.query(`SELECT 1 FROM callback_requests WHERE phone_e164 = '+12025550312'`)).rowCount, 0);
  const chosen = new Date(opens.getTime() + 30 * 60_000);
  const ok = await request(s.base, '+1 202 555 0312', { subscriber: 'opens-later', scheduledAt: chosen.toISOString() });
  t.is(ok.status, 202);
  t.is(ok.json.status, 'scheduled');
  t.is((await jobOf(ok.json.id))?.state, 'delayed');
});

test('a subscriber who never opens refuses requests instead of queueing them for ever', async (t) => {
  await shop('never-open', { hours: { weekly: {} } });
  const r = await request(s.base, '+1 202 555 0313', { subscriber: 'never-open' });
  t.is(r.status, 409);
  t.is(r.json.error.code, 'subscriber_closed');
});

test('a request scheduled days ahead is not expired by its age when it finally runs', async (t) => {
  await shop('far-ahead', { retry: { maxAttempts: 1, maxAgeSec: 3600 } });
  const r = await request(s.base, '+1 202 555 0314', { subscriber: 'far-ahead', scheduledAt: new Date(Date.now() + 2 * 86400_000).toISOString() });
  t.is(r.json.status, 'scheduled');
  // Pretend the two days have passed: the request's own time is now, its creation two days ago.
  await s.c.pool.query(`UPDATE callback_requests SET created_at = now() - interval '2 days', scheduled_at = now(), next_attempt_at = now() WHERE id = $1`, [r.json.id]);
  await (await jobOf(r.json.id))!.job.promote();
  const done = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(done.status, 'completed');
});

test('scheduled requests whose Bull job Redis lost are enqueued again from PostgreSQL, once', async (t) => {
  const r = await request(s.base, '+1 202 555 0315', { scheduledAt: new Date(Date.now() + 3600_000).toISOString() });
  t.is(r.json.status, 'scheduled');
  const j = await jobOf(r.json.id);
  t.truthy(j);
  // Redis loses the job; the request's time comes.
  await j!.job.remove();
  await s.c.pool.query(`UPDATE callback_requests SET scheduled_at = now() - interval '1 second', next_attempt_at = now() - interval '1 second' WHERE id = $1`, [r.json.id]);
  // Two passes racing (two workers) still make one job.
  const restored = await Promise.all([s.worker!.recover.scheduled(), s.worker!.recover.scheduled()]);
  t.true(restored.reduce((a, b) => a + b, 0) >= 1);
  const done = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(done.status, 'completed');
  t.is(done.attempts.length, 1);
  t.is(s.sim.originates({ number: '12025550315' }).length, 1, 'dialed once');
  t.is(await s.worker!.recover.scheduled(), 0, 'nothing left to restore');
});

test('a retry that would fall outside business hours waits for the next opening', async (t) => {
  // A zone where it is mid-day now, so "open until a few minutes from now" does not wrap past midnight.
  const utcHour = new Date().getUTCHours();
  const offset = ((12 - utcHour + 36) % 24) - 12; // local hour 12 (or near it) in Etc/GMT-offset
  const zone = offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  const local = (d: Date) => hhmm(new Date(d.getTime() + offset * 3600_000));
  const closes = new Date(Date.now() + 3 * 60_000);
  await shop('retry-hours', { hours: { weekly: all('06:00', local(closes)) }, retry: { maxAttempts: 3, backoffSec: { busy: 600 } } }, zone);
  const r = await request(s.base, '+1 202 555 0310', { subscriber: 'retry-hours' }); // ...0 is busy
  t.is(r.status, 202, r.text);
  const st = await waitForStatus(s.base, r.json, (x) => x.status === 'scheduled' && x.attempts.length === 1, 20000);
  t.is(st.attempts[0].outcome, 'busy');
  // Busy + 10 minutes is after today's closing: the retry is at tomorrow's 06:00 local.
  const next = new Date(st.scheduledAt);
  t.is(local(next), '06:00');
  t.true(next.getTime() > Date.now() + 12 * 3600_000);
  t.is((await jobOf(r.json.id, 1))?.state, 'delayed');
});
