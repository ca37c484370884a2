import test from 'ava';
import { startStack, request, type Stack } from '../helpers/stack.ts';
import { FormClient, codeSpokenTo, signUp, signupForm } from '../helpers/portal.ts';
import { startSiteServer, type SiteServer } from '../helpers/site-server.ts';

let s: Stack;
let sites: SiteServer;
test.before(async () => {
  sites = await startSiteServer();
  // Slower simulated time than the default so the spoken code is on the line long enough to be read.
  s = await startStack({ label: 'portal', timeScale: 0.2, env: { TRUST_PROXY: 'true', ...sites.env } });
});
test.after.always(async () => { await s?.close(); await sites?.close(); });

/** Proves a subscriber's host the way its owner would: the token on the site, then Verify now. */
async function proveDomain(client: FormClient, subscriberId: string, host: string, serve = true) {
  const d = (await s.c.pool.query(`SELECT id, verify_token FROM domains WHERE subscriber_id = $1 AND host = $2`, [subscriberId, host])).rows[0];
  if (serve) sites.serve(host.replace(/^\*\./, ''), `site verification\n${d.verify_token}\n`);
  await client.get('/portal/domains');
  return client.post(`/portal/domains/${d.id}/verify`, {});
}

const sub = async (email: string) => (await s.c.pool.query(`SELECT * FROM subscribers WHERE lower(email) = lower($1)`, [email])).rows[0];

test('sign-up creates an active, unverified subscriber with hashed password, domains, and a session', async (t) => {
  const { client, form, status, location } = await signUp(s.base, { name: 'Élan Café & Co', domains: 'elan-cafe.example\n*.elan-cafe.example' });
  t.is(status, 303);
  t.is(location, '/portal');
  const row = await sub(form.email!);
  t.is(row.slug, 'elan-cafe-co');
  t.is(row.status, 'active');
  t.is(row.phone_e164, '+12025550142');
  t.is(row.phone_verified_at, null);
  t.is(row.timezone, 'America/Chicago');
  t.regex(row.password_hash, /^scrypt\$32768\$8\$1\$/);
  t.false(row.password_hash.includes(form.password!));
  const hosts = (await s.c.pool.query(`SELECT host FROM domains WHERE subscriber_id = $1 ORDER BY host`, [row.id])).rows.map((r) => r.host);
  t.deepEqual(hosts, ['*.elan-cafe.example', 'elan-cafe.example']);
  const portal = await client.get('/portal');
  t.is(portal.status, 200);
  t.regex(portal.text, /not verified/);
  t.regex(portal.text, /data-subscriber&#x3D;&quot;elan-cafe-co&quot;/);
  // A visitor request is refused until the phone is verified, and nothing is dialed.
  // (Other tests in this file place calls concurrently, so only this visitor's number is counted.)
  const r = await request(s.base, '+1 202 555 0143', { subscriber: 'elan-cafe-co' });
  t.is(r.status, 409);
  t.is(r.json.error.code, 'subscriber_not_verified');
  t.is(s.sim.originates().filter((o: any) => o.endpoint.includes('12025550143')).length, 0);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM callback_requests WHERE phone_e164 = '+12025550143'`)).rows[0].n, 0);
});

test('sign-up validation: bad fields, duplicate email (any case), a host another account owns; same slug gets a suffix', async (t) => {
  const first = await signUp(s.base, { name: 'Twin Shop', domains: 'twin.example' });
  t.is(first.status, 303);
  t.is((await proveDomain(first.client, (await sub(first.form.email!)).id, 'twin.example')).status, 303);
  const bad = await signUp(s.base, { email: 'not-an-email', password: 'short', phone: '123', domains: '*.co.uk' });
  t.is(bad.status, 400);
  t.regex(bad.text, /valid email/);
  t.regex(bad.text, /at least 10 characters/);
  t.regex(bad.text, /other people/);
  t.notRegex(bad.text, /value="short"/); // the password is never echoed
  const dup = await signUp(s.base, { email: first.form.email!.toUpperCase() });
  t.is(dup.status, 409);
  t.regex(dup.text, /exists already/);
  const taken = await signUp(s.base, { domains: 'shop.twin.example\ntwin.example' });
  t.is(taken.status, 409);
  t.regex(taken.text, /already registered/);
  t.falsy(await sub(taken.form.email!)); // nothing half-created
  const second = await signUp(s.base, { name: 'Twin Shop' });
  t.is(second.status, 303);
  t.is((await sub(second.form.email!)).slug, 'twin-shop-2');
});

test('login, wrong password, logout, password change; CSRF required on every form', async (t) => {
  const { form } = await signUp(s.base);
  const c = new FormClient(s.base);
  await c.get('/login');
  const wrong = await c.post('/login', { email: form.email!, password: 'wrong password!!' });
  t.is(wrong.status, 401);
  const noCsrf = await c.post('/login', { email: form.email!, password: form.password! }, { csrf: 'forged' });
  t.is(noCsrf.status, 403);
  const ok = await c.post('/login', { email: form.email!.toUpperCase(), password: form.password! });
  t.is(ok.status, 303);
  t.is(ok.location, '/portal');
  t.is((await c.get('/portal')).status, 200);
  // Password change needs the current password and the CSRF token.
  t.is((await c.post('/portal/password', { currentPassword: form.password!, newPassword: 'another long secret', confirmPassword: 'another long secret' }, { csrf: null })).status, 403);
  t.is((await c.post('/portal/password', { currentPassword: 'nope nope nope', newPassword: 'another long secret', confirmPassword: 'another long secret' })).status, 400);
  t.is((await c.post('/portal/password', { currentPassword: form.password!, newPassword: 'another long secret', confirmPassword: 'another long secret' })).status, 303);
  const out = await c.post('/logout', {});
  t.is(out.status, 303);
  const after = await c.get('/portal');
  t.is(after.status, 302);
  t.regex(after.location ?? '', /^\/login\?next=/);
  const c2 = new FormClient(s.base);
  await c2.get('/login');
  t.is((await c2.post('/login', { email: form.email!, password: form.password! })).status, 401);
  t.is((await c2.post('/login', { email: form.email!, password: 'another long secret' })).status, 303);
});

test('session cookie is httpOnly and SameSite; a new session id after login', async (t) => {
  const r1 = await fetch(`${s.base}/login`);
  const setCookie = r1.headers.getSetCookie().join('\n');
  t.regex(setCookie, /beckon\.sid=/);
  t.regex(setCookie, /httponly/i);
  t.regex(setCookie, /samesite=lax/i);
  const { form } = await signUp(s.base);
  const c = new FormClient(s.base);
  await c.get('/login');
  const before = (c as any).cookies.get('beckon.sid');
  await c.post('/login', { email: form.email!, password: form.password! });
  t.not((c as any).cookies.get('beckon.sid'), before);
});

test('login attempts are rate-limited per account', async (t) => {
  const { form } = await signUp(s.base);
  const c = new FormClient(s.base);
  await c.get('/login');
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) statuses.push((await c.post('/login', { email: form.email!, password: `wrong-${i}-password` })).status);
  t.is(statuses[0], 401);
  t.is(statuses[10], 429);
  // Even the right password is refused while limited.
  t.is((await c.post('/login', { email: form.email!, password: form.password! })).status, 429);
});

test('phone verification: the server calls, speaks a code, the subscriber types it; then requests are dialed', async (t) => {
  const phone = '+12025550144';
  const { client, form } = await signUp(s.base, { phone });
  const row = await sub(form.email!);
  await client.get('/portal');
  const call = await client.post('/portal/verify', { department: '' });
  t.is(call.status, 303);
  const verifyPath = call.location!;
  t.regex(verifyPath, /^\/portal\/verify\/[0-9a-f-]{36}$/);
  const code = await codeSpokenTo(s.sim, phone);
  // The call went through the trunk into the worker's app with a non-Dialer channel id.
  const placed = s.sim.originates({ number: '12025550144' }).filter((o) => o.channelId.startsWith('bkver-'));
  t.is(placed.length, 1);
  t.is(placed[0]!.endpoint, 'PJSIP/12025550144@carrier');
  // The code is not stored in clear anywhere.
  const v = (await s.c.pool.query(`SELECT * FROM phone_verifications WHERE subscriber_id = $1`, [row.id])).rows[0];
  t.false(JSON.stringify(v).includes(code));
  t.is(v.code_hash.length, 32);
  await client.get(verifyPath);
  const wrongCode = code === '000000' ? '111111' : '000000';
  const wrong = await client.post(verifyPath, { code: wrongCode });
  t.is(wrong.status, 400);
  t.regex(wrong.text, /not the code/);
  const ok = await client.post(verifyPath, { code: code.replace(/(\d{3})/, '$1 ') });
  t.is(ok.status, 303);
  t.truthy((await sub(form.email!)).phone_verified_at);
  // The call ended by itself: nothing left up at the "Asterisk", and the attempt is recorded.
  // The code is spoken a last time before the hang-up; on a loaded machine that takes longer than usual.
  const stillUp = () => s.sim.channels().filter((c: any) => c.id === placed[0]!.channelId);
  for (let waited = 0; stillUp().length > 0 && waited < 15_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(stillUp(), []);
  // The status is written when the worker gets the hang-up event, a moment after the channel is gone.
  const callStatus = async () => (await s.c.pool.query(`SELECT call_status FROM phone_verifications WHERE id = $1`, [v.id])).rows[0].call_status;
  for (let waited = 0; (await callStatus()) === 'calling' && waited < 15_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  t.is(await callStatus(), 'spoken');
  s.c.subscribers.invalidate();
  const r = await request(s.base, '+1 202 555 0145', { subscriber: row.slug });
  t.is(r.status, 202);
});

test('verification limits: 5 wrong codes lock the code; calls to one number are rate-limited', async (t) => {
  const phone = '+12025550146'; // 6: answers and never presses a key — fine for hearing a code
  const { client, form } = await signUp(s.base, { phone });
  await client.get('/portal');
  const call = await client.post('/portal/verify', {});
  const path = call.location!;
  const code = await codeSpokenTo(s.sim, phone);
  await client.get(path);
  const wrongCode = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 5; i++) await client.post(path, { code: wrongCode });
  const locked = await client.post(path, { code });
  t.is(locked.status, 400);
  t.regex(locked.text, /Too many wrong codes/);
  t.is((await sub(form.email!)).phone_verified_at, null);
  // Asking again at once is refused (a stranger's phone must not be rung over and over).
  await client.get('/portal');
  const again = await client.post('/portal/verify', {});
  t.is(again.status, 303);
  t.is(again.location, '/portal');
  const n = (await s.c.pool.query(`SELECT count(*)::int AS n FROM phone_verifications WHERE phone_e164 = $1`, [phone])).rows[0].n;
  t.is(n, 1);
});

test('changing the phone drops its verification', async (t) => {
  const { client, form } = await signUp(s.base);
  const row = await sub(form.email!);
  await s.c.pool.query(`UPDATE subscribers SET phone_verified_at = now() WHERE id = $1`, [row.id]);
  await client.get('/portal/profile');
  const same = await client.post('/portal/profile', { name: row.name, phone: row.phone_e164, country: 'US', timezone: 'America/Chicago' });
  t.is(same.status, 303);
  t.truthy((await sub(form.email!)).phone_verified_at);
  await client.get('/portal/profile');
  const changed = await client.post('/portal/profile', { name: 'Renamed Shop', phone: '+1 202 555 0177', country: 'US', timezone: 'Europe/Paris' });
  t.is(changed.status, 303);
  const after = await sub(form.email!);
  t.is(after.phone_e164, '+12025550177');
  t.is(after.phone_verified_at, null);
  t.is(after.name, 'Renamed Shop');
  t.is(after.timezone, 'Europe/Paris');
});

test('domains, departments, hours, messages and skin are saved; department phones need verification', async (t) => {
  const { client, form } = await signUp(s.base);
  const row = await sub(form.email!);
  await client.get('/portal/domains');
  t.is((await client.post('/portal/domains', { host: 'https://Blog.Example-Two.com/path' })).status, 303);
  t.is((await client.post('/portal/domains', { host: 'localhost' })).status, 409); // the demo owns it
  t.is((await client.post('/portal/domains', { host: 'not a host' })).status, 400);
  const hosts = (await s.c.pool.query(`SELECT host FROM domains WHERE subscriber_id = $1 ORDER BY host`, [row.id])).rows.map((r) => r.host);
  t.deepEqual(hosts, ['blog.example-two.com', form.domains]);

  await client.get('/portal/departments');
  t.is((await client.post('/portal/departments', { name: 'Sales', answeredBy: 'phone', phone: '(202) 555-0161', position: '2' })).status, 303);
  t.is((await client.post('/portal/departments', { name: 'Help desk', answeredBy: 'agents', phone: '', position: '1' })).status, 303);
  t.is((await client.post('/portal/departments', { name: 'Sales', answeredBy: 'phone', phone: '(202) 555-0162', position: '3' })).status, 409);
  const deps = (await s.c.pool.query(`SELECT name, answered_by, phone_e164, phone_verified_at, position FROM departments WHERE subscriber_id = $1 ORDER BY position`, [row.id])).rows;
  t.deepEqual(deps.map((d) => [d.name, d.answered_by, d.phone_e164, d.phone_verified_at, d.position]), [
    ['Help desk', 'agents', null, null, 1], ['Sales', 'phone', '+12025550161', null, 2],
  ]);
  const page = await client.get('/portal/departments');
  t.regex(page.text, /Call this number with a code/);

  await client.get('/portal/hours');
  t.is((await client.post('/portal/hours', { mon_open1: '09:00', mon_close1: '12:00', mon_open2: '13:00', mon_close2: '17:30', fri_open1: '22:00', fri_close1: '02:00', holidays: '2026-12-25\n2026-01-01' })).status, 303);
  t.is((await client.post('/portal/hours', { mon_open1: '25:00', mon_close1: '12:00' })).status, 400);
  t.is((await client.post('/portal/hours', { holidays: '2026-02-30' })).status, 400);
  await client.get('/portal/messages');
  t.is((await client.post('/portal/messages', { greeting: 'Hello from <b>us</b>', announcement: 'We call back within 10 minutes.' })).status, 303);
  await client.get('/portal/widget');
  t.is((await client.post('/portal/widget', { primaryColor: '#AA0000', textColor: '#ffffff', buttonText: 'Ring me', position: 'bottom-left', logoUrl: 'https://cdn.example/logo.png', language: 'fr' })).status, 303);
  t.is((await client.post('/portal/widget', { primaryColor: 'red', textColor: '#ffffff', buttonText: 'x', position: 'bottom-left', logoUrl: 'javascript:alert(1)', language: 'fr' })).status, 400);
  const settings = (await sub(form.email!)).settings;
  t.deepEqual(settings.hours, {
    weekly: { mon: [{ open: '09:00', close: '12:00' }, { open: '13:00', close: '17:30' }], tue: [], wed: [], thu: [], fri: [{ open: '22:00', close: '02:00' }], sat: [], sun: [] },
    holidays: ['2026-01-01', '2026-12-25'],
  });
  t.is(settings.greeting, 'Hello from <b>us</b>');
  t.deepEqual(settings.skin, { primaryColor: '#aa0000', textColor: '#ffffff', buttonText: 'Ring me', position: 'bottom-left', logoUrl: 'https://cdn.example/logo.png', language: 'fr' });
  // What the subscriber typed comes back escaped.
  const messages = await client.get('/portal/messages');
  t.regex(messages.text, /Hello from &lt;b&gt;us&lt;\/b&gt;/);
  const hoursPage = await client.get('/portal/hours');
  t.regex(hoursPage.text, /name="mon_close2" value="17:30"/);
});

test('the request list shows status, attempts, outcome and page URL, filtered by status and date; pending ones can be canceled', async (t) => {
  const demo = new FormClient(s.base);
  await demo.get('/login');
  t.is((await demo.post('/login', { email: 'demo@example.com', password: 'demo-password-123' })).status, 303);
  const later = new Date(Date.now() + 3 * 3600_000).toISOString();
  const r1 = await request(s.base, '+1 202 555 0171', { pageUrl: 'http://localhost/pricing?x=1', scheduledAt: later });
  t.is(r1.status, 202);
  const list = await demo.get('/portal/requests');
  t.is(list.status, 200);
  t.regex(list.text, new RegExp(`data-id="${r1.json.id}"`));
  t.regex(list.text, /http:\/\/localhost\/pricing\?x&#x3D;1/);
  const scheduledOnly = await demo.get('/portal/requests?status=scheduled');
  t.regex(scheduledOnly.text, new RegExp(r1.json.id));
  const failedOnly = await demo.get('/portal/requests?status=failed');
  t.notRegex(failedOnly.text, new RegExp(r1.json.id));
  const past = await demo.get('/portal/requests?from=2020-01-01&to=2020-01-02');
  t.notRegex(past.text, new RegExp(r1.json.id));
  const cancel = await demo.post(`/portal/requests/${r1.json.id}/cancel`, {});
  t.is(cancel.status, 303);
  const st = (await s.c.pool.query(`SELECT status, status_reason FROM callback_requests WHERE id = $1`, [r1.json.id])).rows[0];
  t.is(st.status, 'canceled');
  t.is(st.status_reason, 'canceled by the subscriber');
});

test('unauthenticated portal: pages redirect to login, posts are refused', async (t) => {
  const c = new FormClient(s.base);
  const page = await c.get('/portal/domains');
  t.is(page.status, 302);
  t.is(page.location, '/login?next=%2Fportal%2Fdomains');
  const post = await c.post('/portal/domains', { host: 'evil.example' }, { csrf: null });
  t.is(post.status, 401);
  t.is((await s.c.pool.query(`SELECT 1 FROM domains WHERE host = 'evil.example'`)).rowCount, 0);
  t.truthy(signupForm());
});

test('a department phone added later is verified the same way; until then its requests are refused', async (t) => {
  const { client, form } = await signUp(s.base);
  const row = await sub(form.email!);
  await s.c.pool.query(`UPDATE subscribers SET phone_verified_at = now() WHERE id = $1`, [row.id]);
  await client.get('/portal/departments');
  await client.post('/portal/departments', { name: 'Repairs', answeredBy: 'phone', phone: '+1 202 555 0164', position: '1' });
  const dep = (await s.c.pool.query(`SELECT id FROM departments WHERE subscriber_id = $1`, [row.id])).rows[0];
  s.c.subscribers.invalidate();
  const refused = await request(s.base, '+1 202 555 0145', { subscriber: row.slug, department: 'Repairs' });
  t.is(refused.status, 409);
  t.is(refused.json.error.code, 'department_unavailable');
  await client.get('/portal/departments');
  const call = await client.post('/portal/verify', { department: dep.id });
  t.is(call.status, 303);
  const code = await codeSpokenTo(s.sim, '+12025550164');
  await client.get(call.location!);
  const ok = await client.post(call.location!, { code });
  t.is(ok.status, 303);
  t.is(ok.location, '/portal/departments');
  t.truthy((await s.c.pool.query(`SELECT phone_verified_at FROM departments WHERE id = $1`, [dep.id])).rows[0].phone_verified_at);
  s.c.subscribers.invalidate();
  const accepted = await request(s.base, '+1 202 555 0145', { subscriber: row.slug, department: 'Repairs', scheduledAt: new Date(Date.now() + 3600_000).toISOString() });
  t.is(accepted.status, 202);
  // Suspended: refused whatever is verified.
  await s.c.pool.query(`UPDATE subscribers SET status = 'suspended' WHERE id = $1`, [row.id]);
  s.c.subscribers.invalidate();
  const suspended = await request(s.base, '+1 202 555 0145', { subscriber: row.slug });
  t.is(suspended.status, 403);
  t.is(suspended.json.error.code, 'subscriber_suspended');
});

test('a verification call that is not answered is recorded as failed and no code is accepted', async (t) => {
  const phone = '+12025550150'; // 0: busy
  const { client, form } = await signUp(s.base, { phone });
  await client.get('/portal');
  const call = await client.post('/portal/verify', {});
  const id = call.location!.split('/').pop();
  let status = '';
  for (let i = 0; i < 100 && status !== 'failed'; i++) {
    status = (await client.get(`/portal/verify/${id}`, { accept: 'application/json' })).json?.callStatus;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.is(status, 'failed');
  const v = (await s.c.pool.query(`SELECT call_cause FROM phone_verifications WHERE id = $1`, [id])).rows[0];
  t.is(v.call_cause, 17);
  await client.get(call.location!);
  t.is((await client.post(call.location!, { code: '123456' })).status, 400);
  t.is((await sub(form.email!)).phone_verified_at, null);
});

test('domain ownership: a claim stays pending until the token is on the site; the first to prove a host keeps it and overlapping claims go', async (t) => {
  const a = await signUp(s.base, { domains: '*.contested.example' });
  const b = await signUp(s.base, { domains: 'shop.contested.example\nother-contest.example' });
  const aId = (await sub(a.form.email!)).id;
  const bId = (await sub(b.form.email!)).id;
  const ownerOf = async (url: string) => {
    const r = await fetch(`${s.base}/api/v1/directory?url=${encodeURIComponent(url)}`);
    return r.status === 200 ? ((await r.json()) as any).subscriber.slug : r.status;
  };
  t.is(await ownerOf('https://shop.contested.example/'), 404, 'pending hosts own no pages');
  // No file yet, then a file without the token: refused with the reason. A wildcard is proven on its base host.
  const missing = await proveDomain(a.client, aId, '*.contested.example', false);
  t.is(missing.status, 422);
  t.regex(missing.text, /contested\.example\/\.well-known\/beckon-verification\.txt answered 404/);
  sites.serve('contested.example', 'something else');
  const wrong = await proveDomain(a.client, aId, '*.contested.example', false);
  t.is(wrong.status, 422);
  t.regex(wrong.text, /does not contain the token/);
  t.is((await proveDomain(a.client, aId, '*.contested.example')).status, 303);
  t.is(await ownerOf('https://shop.contested.example/'), (await sub(a.form.email!)).slug);
  // B's claim inside A's proven wildcard is gone, and cannot be made again; B's unrelated claim stays.
  const left = (await s.c.pool.query(`SELECT host FROM domains WHERE subscriber_id = $1 ORDER BY host`, [bId])).rows.map((r) => r.host);
  t.deepEqual(left, ['other-contest.example']);
  await b.client.get('/portal/domains');
  t.is((await b.client.post('/portal/domains', { host: 'shop.contested.example' })).status, 409);
});
