import test from 'ava';
import { startStack, request, type Stack } from '../helpers/stack.ts';
import { operatorClient, signUp } from '../helpers/portal.ts';

/**
 * The operator's destination policy at the edges a subscriber controls: its profile (country, phone) and its
 * verification calls. The stack's operator dials US, CA, GB, FR, BE and DE (test/helpers/stack.ts).
 */
let s: Stack;
const ADMIN = { email: 'ops@example.com', password: 'operator-password-1' };
const ADMIN_ENV = { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password };
test.before(async () => {
  s = await startStack({ label: 'dest-policy', env: { TRUST_PROXY: 'true', ...ADMIN_ENV, DIAL_ALLOWED_TYPES: 'MOBILE,FIXED_LINE,FIXED_LINE_OR_MOBILE,VOIP' } });
});
test.after.always(async () => { await s?.close(); });

const row = async (email: string) => (await s.c.pool.query(`SELECT * FROM subscribers WHERE lower(email) = lower($1)`, [email])).rows[0];
const markVerified = (id: string) => s.c.pool.query(`UPDATE subscribers SET phone_verified_at = now() WHERE id = $1`, [id]);

test('changing the profile country to CU clears the phone verification and never opens +53 numbers', async (t) => {
  const { client, form } = await signUp(s.base, { phone: '+1 202 555 0171', timezone: 'America/New_York' });
  const sub = await row(form.email!);
  await markVerified(sub.id);
  s.c.subscribers.invalidate(sub.slug);
  const cuban = () => request(s.base, '+53 5 234 5671', { subscriber: sub.slug });
  const before = await cuban();
  t.is(before.status, 403, before.text);
  t.is(before.json.error.code, 'country_not_allowed');

  await client.get('/portal/profile');
  const saved = await client.post('/portal/profile', { name: form.name!, phone: '+1 202 555 0171', country: 'CU', timezone: 'America/Havana' });
  t.is(saved.status, 303);
  const after = await row(form.email!);
  t.is(after.country, 'CU');
  t.is(after.phone_verified_at, null, 'a country change re-requires verification');
  t.regex((await client.get('/portal/profile')).text, /verified \(again\)/);

  // Even verified again, a subscriber in a country the operator does not serve gets nothing dialed.
  await markVerified(sub.id);
  s.c.subscribers.invalidate(sub.slug);
  const again = await cuban();
  t.is(again.status, 403, again.text);
  t.is(again.json.error.code, 'country_not_served');
  const home = await request(s.base, '+1 202 555 0172', { subscriber: sub.slug });
  t.is(home.status, 403);
  t.is(home.json.error.code, 'country_not_served');
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM callback_requests WHERE subscriber_id = $1`, [sub.id])).rows[0].n, 0);
  t.is(s.sim.originates({ number: '5352345671' }).length, 0);
});

for (const [what, phone, digits] of [
  ['a satellite number', '+881 6 1234 5671', '881612345671'],
  ['a Caribbean +1 number', '+1 876 555 1231', '18765551231'],
  ['a toll-free number', '+1 800 555 0100', '18005550100'],
] as const) {
  test(`verification calls obey the operator policy: ${what} is refused with a clear message and never rung`, async (t) => {
    const { client, form } = await signUp(s.base, { phone });
    const sub = await row(form.email!);
    t.truthy(sub, 'the sign-up itself is accepted; the number is refused when Beckon would ring it');
    await client.get('/portal');
    const call = await client.post('/portal/verify', { department: '' });
    t.is(call.status, 303);
    t.is(call.location, '/portal');
    t.regex((await client.get('/portal')).text, /We cannot call this number/);
    t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM phone_verifications WHERE subscriber_id = $1`, [sub.id])).rows[0].n, 0);
    await new Promise((r) => setTimeout(r, 300));
    t.is(s.sim.originates({ number: digits }).length, 0);
  });
}

test('verification service: a refused destination is a 403 naming why', async (t) => {
  const { form } = await signUp(s.base, { phone: '+881 6 1234 5672' });
  const sub = await row(form.email!);
  const { createVerificationService } = await import('../../src/verification/verification.service.ts');
  const { operatorDestinations } = await import('../../src/policy/destination-policy.ts');
  const svc = createVerificationService({
    pool: s.c.pool, queue: { add: async () => { throw new Error('must not be queued'); } } as never, secret: 'x'.repeat(32), log: s.c.log,
    destinations: operatorDestinations(s.c.config),
    limits: { take: async () => {} } as never, newAccountSec: 0,
  } as never);
  const err = await t.throwsAsync(svc.requestCall(sub.id, null));
  t.is((err as { status?: number }).status, 403);
  t.is((err as { code?: string }).code, 'country_not_allowed');
});

test('the operator sees the destinations the installation dials on the health page', async (t) => {
  const c = await operatorClient(s.base, ADMIN);
  const page = await c.get('/admin');
  t.is(page.status, 200);
  t.regex(page.text, /Countries<\/th><td>US, CA, GB, FR, BE, DE</);
  t.regex(page.text, /Number types<\/th><td>MOBILE, FIXED_LINE, FIXED_LINE_OR_MOBILE, VOIP</);
});
