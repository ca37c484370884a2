import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { signUp, type FormClient } from '../helpers/portal.ts';

/**
 * Verification calls under concurrency: the limits (per number, per account, per IP, and all new accounts
 * together) hold when many requests arrive at once, and a number has one verification call in flight at a time.
 * What counts is what the simulated Asterisk was asked to ring.
 */
let s: Stack;
test.before(async () => {
  s = await startStack({
    label: 'verify_limits',
    env: { TRUST_PROXY: 'true', VERIFY_LIMIT_PER_IP: '3/3600', VERIFY_LIMIT_NEW_ACCOUNTS: '5/3600', VERIFY_LIMIT_PER_NUMBER_HOUR: '3/3600' },
  });
});
test.after.always(async () => { await s?.close(); });

const digits = (e164: string) => e164.replace('+', '');
const verificationCalls = (e164: string) => s.sim.originates({ number: digits(e164) }).filter((o) => o.channelId.startsWith('bkver-'));

async function account(phone: string, o: { aged?: boolean } = {}): Promise<{ client: FormClient; id: string }> {
  const { client, form } = await signUp(s.base, { phone });
  const id = (await s.c.pool.query(`SELECT id FROM subscribers WHERE lower(email) = lower($1)`, [form.email])).rows[0].id;
  // An account past VERIFY_NEW_ACCOUNT_SEC: outside the new-account ceiling, so each test counts one limit.
  if (o.aged) await s.c.pool.query(`UPDATE subscribers SET created_at = now() - interval '30 days' WHERE id = $1`, [id]);
  await client.get('/portal');
  return { client, id };
}

/** Waits until the worker has taken up every verification of these accounts (no row still queued). */
async function settled(subscriberIds: string[]): Promise<number> {
  for (let waited = 0; waited < 15_000; waited += 100) {
    const { rows } = await s.c.pool.query(
      `SELECT count(*) FILTER (WHERE call_status = 'queued')::int AS queued, count(*)::int AS n FROM phone_verifications WHERE subscriber_id = ANY($1::uuid[])`, [subscriberIds]);
    if (rows[0].queued === 0) {
      await new Promise((r) => setTimeout(r, 300));
      return rows[0].n;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('verification calls still queued');
}

/** Largest number of channels to one number seen at once while `work` runs. */
async function peakChannels(e164: string, work: () => Promise<unknown>): Promise<number> {
  let peak = 0;
  let done = false;
  const watch = (async () => {
    while (!done) {
      peak = Math.max(peak, s.sim.channels().filter((c: any) => String(c.dialstring ?? '').includes(digits(e164)) || String(c.caller?.number ?? '').includes(digits(e164))).length);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try { await work(); } finally { done = true; await watch; }
  return peak;
}

test.serial('40 concurrent requests from one account: one verification call', async (t) => {
  const phone = '+12025550311';
  const { client, id } = await account(phone);
  const answers = await Promise.all(Array.from({ length: 40 }, () => client.post('/portal/verify', {})));
  t.is(answers.filter((a) => a.location?.startsWith('/portal/verify/')).length, 1);
  t.true(answers.every((a) => a.status === 303), 'refusals are a message on the portal, not an error');
  t.is(await settled([id]), 1);
  t.is(verificationCalls(phone).length, 1);
});

test.serial('one number asked for by 10 accounts at once: within its hourly limit, and never two calls at the same time', async (t) => {
  const phone = '+12025550319'; // 9: never answers, so each call stays in flight while it rings
  const accounts = await Promise.all(Array.from({ length: 10 }, () => account(phone, { aged: true })));
  const peak = await peakChannels(phone, async () => {
    await Promise.all(accounts.map((a) => a.client.post('/portal/verify', {})));
    t.true((await settled(accounts.map((a) => a.id))) <= 3);
    for (let waited = 0; s.sim.channels().length > 0 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  });
  t.is(peak, 1, `one verification call in flight at a time (saw ${peak})`);
  const calls = verificationCalls(phone).length;
  t.true(calls >= 1 && calls <= 3, `calls placed: ${calls}`);
});

test.serial('one client IP, six accounts at once: only the per-IP limit of calls', async (t) => {
  const accounts = await Promise.all(Array.from({ length: 6 }, (_, i) => account(`+1202555032${i}`, { aged: true })));
  for (const a of accounts) Object.assign(a.client, { ip: '10.250.0.7' });
  await Promise.all(accounts.map((a) => a.client.post('/portal/verify', {})));
  t.is(await settled(accounts.map((a) => a.id)), 3);
  const calls = accounts.reduce((n, _a, i) => n + verificationCalls(`+1202555032${i}`).length, 0);
  t.is(calls, 3);
});

test.serial('new accounts share an installation-wide hourly ceiling', async (t) => {
  const accounts = await Promise.all(Array.from({ length: 8 }, (_, i) => account(`+1202555033${i}`)));
  await Promise.all(accounts.map((a) => a.client.post('/portal/verify', {})));
  await settled(accounts.map((a) => a.id));
  // The first test's new account used one call of the five.
  const { rows } = await s.c.pool.query(
    `SELECT count(*)::int AS n FROM phone_verifications v JOIN subscribers s ON s.id = v.subscriber_id WHERE s.created_at > now() - interval '1 day'`);
  t.is(rows[0].n, 5);
  const calls = accounts.reduce((n, _a, i) => n + verificationCalls(`+1202555033${i}`).length, 0);
  t.is(calls, 4);
  // An account past the new-account age is not held back by it.
  const old = await account('+12025550340', { aged: true });
  const r = await old.client.post('/portal/verify', {});
  t.regex(r.location ?? '', /^\/portal\/verify\//);
});
