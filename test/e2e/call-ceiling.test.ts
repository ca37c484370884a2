import test from 'ava';
import { FINAL, request, startStack, waitForStatus, type Stack } from '../helpers/stack.ts';
import { signUp } from '../helpers/portal.ts';
import { mergeSettings } from '../helpers/subscribers.ts';

/**
 * The per-number call ceiling at dial time: every call placed to a number counts (first attempts, retries,
 * verification calls, whoever asked), and a dial over the ceiling is not placed. Counted at the simulator.
 */
let s: Stack;
test.before(async () => {
  s = await startStack({
    label: 'call_ceiling',
    env: { CALL_CEILING_ENABLED: 'true', LIMIT_CALLS_PER_NUMBER_HOUR: '3/3600', LIMIT_CALLS_PER_NUMBER_DAY: '6/86400', TRUST_PROXY: 'true' },
  });
  // Busy visitors are tried up to five times, a second apart.
  await mergeSettings(s, { retry: { maxAttempts: 5, backoffSec: { busy: 1 }, backoffFactor: 1 } });
});
test.after.always(async () => { await s?.close(); });

const calls = (e164: string, kind: 'visitor' | 'verification') =>
  s.sim.originates({ number: e164.replace('+', '') }).filter((o) => o.channelId.startsWith('bkver-') === (kind === 'verification')).length;

test.serial('retries and later requests to one number stop being dialed at the ceiling; verification calls count too', async (t) => {
  const phone = '+12025550410'; // 0: busy every time
  const first = await request(s.base, phone);
  t.is(first.status, 202);
  const ended = await waitForStatus(s.base, first.json, (st) => FINAL.has(st.status), 30_000);
  t.is(ended.status, 'failed');
  t.is(ended.reason, 'not called: this number was already called 3 times in 1 h');
  t.is(calls(phone, 'visitor'), 3, 'the fourth attempt was not placed');

  // A new request for the number (another visitor, another day's limit on requests) is accepted, not dialed.
  const second = await request(s.base, phone);
  t.is(second.status, 202);
  const refused = await waitForStatus(s.base, second.json, (st) => FINAL.has(st.status), 15_000);
  t.is(refused.status, 'failed');
  t.regex(refused.reason ?? '', /already called 3 times/);
  t.is(calls(phone, 'visitor'), 3);

  // A verification call to the same number is not placed either.
  const { client, form } = await signUp(s.base, { phone });
  await client.get('/portal');
  const asked = await client.post('/portal/verify', {});
  t.regex(asked.location ?? '', /^\/portal\/verify\//);
  const status = async () => (await s.c.pool.query(
    `SELECT v.call_status FROM phone_verifications v JOIN subscribers s ON s.id = v.subscriber_id WHERE lower(s.email) = lower($1)`, [form.email])).rows[0]?.call_status;
  for (let waited = 0; (await status()) !== 'failed' && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  t.is(await status(), 'failed');
  t.is(calls(phone, 'verification'), 0);

  // Other numbers are dialed as usual.
  const other = await request(s.base, '+12025550411');
  t.is(other.status, 202);
  const answered = await waitForStatus(s.base, other.json, (st) => FINAL.has(st.status), 30_000);
  t.is(answered.status, 'completed');
  t.is(calls('+12025550411', 'visitor'), 1);
});
