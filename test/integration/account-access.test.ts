import test from 'ava';
import { createHash } from 'node:crypto';
import { startStack, type Stack } from '../helpers/stack.ts';
import { FormClient, operatorClient, signUp } from '../helpers/portal.ts';

// Account access after the password is known to someone else: a password change logs out every other session,
// and an operator can hand a locked-out owner a one-time reset link (Beckon sends no email).

const ADMIN = { email: 'ops-access@example.com', password: 'operator-secret-43' };
let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'access', worker: false, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, TRUST_PROXY: 'true' } });
});
test.after.always(async () => { await s?.close(); });

async function login(email: string, password: string): Promise<{ client: FormClient; status: number }> {
  const client = new FormClient(s.base);
  await client.get('/login');
  const r = await client.post('/login', { email, password });
  return { client, status: r.status };
}

const operator = (): Promise<FormClient> => operatorClient(s.base, ADMIN);

const idOf = async (email: string) => (await s.c.pool.query(`SELECT id FROM subscribers WHERE email = $1`, [email])).rows[0].id as string;

test.serial('a password change logs out every other session of the account, not the one that changed it', async (t) => {
  const { client: owner, form } = await signUp(s.base);
  const other = await login(form.email!, form.password!);
  t.is(other.status, 303);
  t.is((await other.client.get('/portal')).status, 200, 'the other session works before the change');
  await owner.get('/portal/profile');
  const changed = await owner.post('/portal/password', { currentPassword: form.password!, newPassword: 'a brand new password', confirmPassword: 'a brand new password' });
  t.is(changed.status, 303);
  t.is((await owner.get('/portal')).status, 200, 'the changing session goes on');
  const after = await other.client.get('/portal/requests');
  t.is(after.status, 302);
  t.regex(after.location!, /^\/login\?next=/);
  t.false(other.client.hasSession(), 'its session is gone, not just refused once');
  t.is((await other.client.get('/portal/reports')).status, 302, 'reports are behind the same check');
  t.is((await login(form.email!, form.password!)).status, 401, 'the old password no longer works');
  t.is((await login(form.email!, 'a brand new password')).status, 303);
});

test.serial('an operator reset link sets a new password once, logs out every session, and dies after use', async (t) => {
  const { client: stale, form } = await signUp(s.base);
  const id = await idOf(form.email!);
  // Only operators make links: a subscriber session is refused.
  await stale.get('/portal');
  t.not((await stale.post(`/admin/subscribers/${id}/reset-link`, {})).status, 200);
  const op = await operator();
  await op.get(`/admin/subscribers/${id}`);
  const made = await op.post(`/admin/subscribers/${id}/reset-link`, {});
  t.is(made.status, 200);
  const link = /id="reset-link">([^<]+)</.exec(made.text)?.[1];
  t.truthy(link);
  const path = new URL(link!).pathname;
  t.regex(path, /^\/reset\/[\w-]{43}$/);
  // Only a hash of the token is stored.
  const token = path.split('/')[2]!;
  const stored = (await s.c.pool.query(`SELECT token_hash, created_by FROM password_resets WHERE subscriber_id = $1`, [id])).rows;
  t.is(stored.length, 1);
  t.deepEqual(stored[0].token_hash, createHash('sha256').update(token).digest());
  t.false(JSON.stringify(stored).includes(token));

  const owner = new FormClient(s.base);
  const form1 = await owner.get(path);
  t.is(form1.status, 200);
  t.regex(form1.text, /Set a new password/);
  t.is((await owner.post(path, { newPassword: 'short', confirmPassword: 'short' })).status, 400);
  const set = await owner.post(path, { newPassword: 'reset password 2026', confirmPassword: 'reset password 2026' });
  t.is(set.status, 303);
  t.is(set.location, '/portal');
  t.is((await owner.get('/portal')).status, 200, 'logged in with the new password');
  t.is((await stale.get('/portal')).status, 302, 'the session from before the reset is over');
  t.is((await login(form.email!, 'reset password 2026')).status, 303);
  // Used up: neither the form nor a second submission works.
  const again = new FormClient(s.base);
  t.is((await again.get(path)).status, 404);
  // A second submission from a browser holding a valid CSRF token (the owner's, now logged in) changes nothing.
  t.is((await owner.post(path, { newPassword: 'another password 1', confirmPassword: 'another password 1' })).status, 404);
  t.is((await login(form.email!, 'another password 1')).status, 401);
});

test.serial('a newer link voids the older one, an expired link is dead, a malformed one is simply not found', async (t) => {
  const { form } = await signUp(s.base);
  const id = await idOf(form.email!);
  const op = await operator();
  await op.get(`/admin/subscribers/${id}`);
  const first = new URL(/id="reset-link">([^<]+)</.exec((await op.post(`/admin/subscribers/${id}/reset-link`, {})).text)![1]!).pathname;
  await op.get(`/admin/subscribers/${id}`);
  const second = new URL(/id="reset-link">([^<]+)</.exec((await op.post(`/admin/subscribers/${id}/reset-link`, {})).text)![1]!).pathname;
  const c = new FormClient(s.base);
  t.is((await c.get(first)).status, 404);
  t.is((await c.get(second)).status, 200);
  await s.c.pool.query(`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE subscriber_id = $1`, [id]);
  t.is((await c.get(second)).status, 404);
  t.is((await c.post(second, { newPassword: 'expired password 1', confirmPassword: 'expired password 1' })).status, 404);
  t.is((await c.get('/reset/not-a-token')).status, 404);
});
