import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { FormClient, operatorClient } from '../helpers/portal.ts';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';
import { insertDepartment, insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';

// An operator marks a subscriber's or a department's phone verified without a call, giving a reason that is kept
// in the audit log (operator_audit_log) and shown on that subscriber's admin page.

const ADMIN = { email: 'ops-override@example.com', password: 'operator-secret-42' };
let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'phoneovr', worker: false, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
});
test.after.always(async () => { await s?.close(); });

const auditRows = (subscriberId: string) =>
  s.c.pool.query(`SELECT operator_email, action, department_id, phone_e164, reason FROM operator_audit_log WHERE subscriber_id = $1 ORDER BY id`, [subscriberId]).then((r) => r.rows);

test.serial('the operator marks the account phone and a department phone verified with a reason; the audit log shows it', async (t) => {
  const sub = await insertSubscriber(s.c.pool, { slug: 'hardofhearing', name: 'Quiet Shop', country: 'US', timezone: 'America/Chicago', phoneE164: '+12025550144' });
  const dept = await insertDepartment(s.c.pool, { subscriberId: sub.id, name: 'Repairs', phoneE164: '+12025550155' });
  const other = await insertSubscriber(s.c.pool, { slug: 'othershop', name: 'Other Shop', country: 'US', timezone: 'America/Chicago', phoneE164: '+12025550166' });
  const otherDept = await insertDepartment(s.c.pool, { subscriberId: other.id, name: 'Sales', phoneE164: '+12025550177' });
  const op = await operatorClient(s.base, ADMIN);
  const path = `/admin/subscribers/${sub.id}`;

  const before = await op.get(path);
  t.is(before.status, 200);
  t.regex(before.text, /\+12025550144 <span class="badge warn">not verified/);
  t.regex(before.text, /Nothing done by hand on this account yet/);

  // A reason is required: nothing changes without one.
  for (const reason of ['', '  ', 'ok']) {
    const r = await op.post(`${path}/phone-verified`, { department: '', phone: '+12025550144', reason });
    t.is(r.status, 400, `reason ${JSON.stringify(reason)}`);
    t.regex(r.text, /Give the reason/);
  }
  // The number the operator saw must still be the number: a changed one is not marked.
  const stale = await op.post(`${path}/phone-verified`, { department: '', phone: '+12025550199', reason: 'checked on a support call' });
  t.is(stale.status, 409);
  t.regex(stale.text, /The number is now \+12025550144/);
  // Another subscriber's department is not found here.
  const foreign = await op.post(`${path}/phone-verified`, { department: otherDept.id, phone: '+12025550177', reason: 'checked on a support call' });
  t.is(foreign.status, 404);
  t.deepEqual(await auditRows(sub.id), []);
  t.is((await s.c.pool.query(`SELECT phone_verified_at FROM subscribers WHERE id = $1`, [sub.id])).rows[0].phone_verified_at, null);

  const ok = await op.post(`${path}/phone-verified`, { department: '', phone: '+12025550144', reason: 'Owner is hard of hearing; <b>checked</b> by a support call' });
  t.is(ok.status, 303);
  t.is(ok.location, path);
  t.not((await s.c.pool.query(`SELECT phone_verified_at FROM subscribers WHERE id = $1`, [sub.id])).rows[0].phone_verified_at, null);
  const again = await op.post(`${path}/phone-verified`, { department: '', phone: '+12025550144', reason: 'twice' });
  t.is(again.status, 409, 'an already verified phone');

  const deptOk = await op.post(`${path}/phone-verified`, { department: dept.id, phone: '+12025550155', reason: 'Department line checked with the owner' });
  t.is(deptOk.status, 303);
  t.not((await s.c.pool.query(`SELECT phone_verified_at FROM departments WHERE id = $1`, [dept.id])).rows[0].phone_verified_at, null);
  t.is((await s.c.pool.query(`SELECT phone_verified_at FROM departments WHERE id = $1`, [otherDept.id])).rows[0].phone_verified_at, null);

  t.deepEqual(await auditRows(sub.id), [
    { operator_email: ADMIN.email, action: 'phone_verified', department_id: null, phone_e164: '+12025550144', reason: 'Owner is hard of hearing; <b>checked</b> by a support call' },
    { operator_email: ADMIN.email, action: 'phone_verified', department_id: dept.id, phone_e164: '+12025550155', reason: 'Department line checked with the owner' },
  ]);
  t.deepEqual(await auditRows(other.id), []);

  const after = await op.get(path);
  t.regex(after.text, /\+12025550144 marked verified/);
  t.regex(after.text, /Repairs: \+12025550155 marked verified/);
  t.true(after.text.includes('Owner is hard of hearing; &lt;b&gt;checked&lt;/b&gt; by a support call'), 'the reason is shown, escaped');
  t.true(after.text.includes(ADMIN.email));
  t.notRegex(after.text, /not verified/);
});

test('without the simulator (DEMO_PHONES_URL unset, as in production) there is no demo phone page and no demo banner', async (t) => {
  const c = new FormClient(s.base);
  t.is((await c.get('/demo/phones')).status, 404);
  t.is((await c.post('/demo/phones/x', { command: 'answer' })).status, 404);
  const login = await c.get('/login');
  t.is(login.status, 200);
  t.notRegex(login.text, /demo-banner|\/demo\/phones/);
});

test.serial('only operators may mark a phone verified; the CSRF token is required', async (t) => {
  const sub = await insertSubscriber(s.c.pool, { slug: 'nosneak', name: 'No Sneak', country: 'US', timezone: 'America/Chicago', phoneE164: '+12025550188' });
  const owner = new FormClient(s.base);
  await owner.get('/login');
  t.is((await owner.post('/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password })).status, 303);
  t.is((await owner.post(`/admin/subscribers/${sub.id}/phone-verified`, { department: '', phone: '+12025550188', reason: 'let me in please' })).status, 401);
  const op = await operatorClient(s.base, ADMIN);
  t.is((await op.post(`/admin/subscribers/${sub.id}/phone-verified`, { department: '', phone: '+12025550188', reason: 'no token here' }, { csrf: null })).status, 403);
  t.is((await s.c.pool.query(`SELECT phone_verified_at FROM subscribers WHERE id = $1`, [sub.id])).rows[0].phone_verified_at, null);
  t.deepEqual(await auditRows(sub.id), []);
});
