import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { addAgent, agentClient } from '../helpers/agents.ts';
import { FormClient, operatorClient } from '../helpers/portal.ts';
import { verifiedSignUp } from '../helpers/subscribers.ts';
import { openSse } from '../helpers/sse-client.ts';
import { ARI_AUTH } from '../helpers/sim-ari.ts';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { createAgentResetLink } from '../../src/auth/password-reset.service.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { upsertOperator } from '../../src/admin/operator.repository.ts';
import { redisKeys } from '../../src/platform/redis-keys.ts';

/*
 * Ending an agent's (or an operator's) access ends the sessions it already has, on the next request: disabling the
 * agent, a new password set by its owner, by the operator or through a reset link. The softphone those sessions
 * were issued stops registering, and an event stream already open closes within a heartbeat. Every session,
 * whatever its role, lasts 8 hours from its login, however busy.
 */
const ADMIN = { email: 'ops-sessions@example.com', password: 'operator password 1' };
let s: Stack;
let smtp: TestSmtp;
test.before(async () => {
  smtp = await startTestSmtp();
  // SMTP_URL: the agents' reset-link pages exist only when the installation sends mail (nothing is sent: no worker).
  s = await startStack({ label: 'agentsessions', worker: false, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, TRUST_PROXY: 'true', SMTP_URL: smtp.url } });
});
test.after.always(async () => { await s?.close(); await smtp?.close(); });

type Agent = Awaited<ReturnType<typeof agentClient>>;
const json = { accept: 'application/json' };
const state = (c: Agent) => c.go('/agent/state', { headers: json });
const chats = (c: Agent) => c.go('/agent/chats/list', { headers: json });
const agentRow = async (login: string) => (await s.c.pool.query(`SELECT id, active, endpoint, desk_endpoint FROM agents WHERE login = $1`, [login])).rows[0];
/** The password Asterisk holds for a pushed softphone account (the simulator's ARI push configuration). */
async function pushedPassword(user: string): Promise<string | undefined> {
  const r = await fetch(`${s.sim.ariUrl}/ari/asterisk/config/dynamic/res_pjsip/auth/${encodeURIComponent(user)}`, { headers: ARI_AUTH });
  return ((await r.json()) as { attribute: string; value: string }[]).filter((f) => f.attribute === 'password').pop()?.value;
}
async function agentLoginStatus(login: string, password: string): Promise<number> {
  const c = new FormClient(s.base);
  await c.get('/agent/login');
  return (await c.post('/agent/login', { login, password })).status;
}

test.serial('an owner disabling its agent ends the sessions it has: console, chats, softphone and open streams', async (t) => {
  const owner = await verifiedSignUp(s, { name: `Disable ${Date.now()}` });
  await owner.client.get('/portal/team');
  t.is((await owner.client.post('/portal/team', { name: 'Evil', login: 'evil-1', password: 'evil password 1' })).status, 303);
  const evil = await agentRow('evil-1');
  const agent = await agentClient(s.base, 'evil-1', 'evil password 1');
  t.is((await state(agent)).status, 200);
  const issued = await agent.api('/agent/softphone', { on: true });
  t.is(issued.status, 200, issued.text);
  t.is(await pushedPassword(issued.json.user), issued.json.password);
  const stream = await openSse(`${s.base}/agent/events`, { cookie: agent.cookie() });
  t.is(stream.status, 200);
  await stream.waitFor((e) => e.some((x) => x.event === 'hello'));

  await owner.client.get(`/portal/team/${evil.id}`);
  const off = await owner.client.post(`/portal/team/${evil.id}/active`, { active: 'off' });
  t.is(off.status, 303);
  t.false((await agentRow('evil-1')).active);

  // The old cookie: a softphone asked for is refused (401, before the session is dropped), then everything else.
  const again = await agent.api('/agent/softphone', { on: true });
  t.is(again.status, 401, again.text);
  t.is(again.json.error.code, 'login_required');
  t.is((await state(agent)).status, 401);
  t.is((await chats(agent)).status, 401);
  const page = await agent.go('/agent', { headers: { accept: 'text/html' } });
  t.is(page.status, 302);
  t.regex(page.location ?? '', /^\/agent\/login/);
  // The softphone those sessions held registers nothing: Asterisk has another password, and offers ring the desk phone.
  const pushed = await pushedPassword(issued.json.user);
  t.truthy(pushed);
  t.not(pushed, issued.json.password);
  t.is((await agentRow('evil-1')).desk_endpoint, null);
  // The stream already open is closed at its next heartbeat (15 s).
  const closed = await Promise.race([stream.ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
  t.true(closed, 'the open event stream was closed');
  stream.close();
  t.is(await agentLoginStatus('evil-1', 'evil password 1'), 401, 'a disabled agent cannot log in');
});

test.serial("a new password set by the owner ends the agent's sessions; the new one logs in", async (t) => {
  const owner = await verifiedSignUp(s, { name: `Password ${Date.now()}` });
  await owner.client.get('/portal/team');
  t.is((await owner.client.post('/portal/team', { name: 'Pat', login: 'pat-1', password: 'pat password 1' })).status, 303);
  const pat = await agentRow('pat-1');
  const first = await agentClient(s.base, 'pat-1', 'pat password 1');
  const issued = (await first.api('/agent/softphone', { on: true })).json;
  t.is((await state(first)).status, 200);
  await owner.client.get(`/portal/team/${pat.id}`);
  t.is((await owner.client.post(`/portal/team/${pat.id}/password`, { password: 'pat password 2' })).status, 303);
  t.is((await state(first)).status, 401, 'the session from before the new password is over');
  t.not(await pushedPassword(issued.user), issued.password, 'its softphone with it');
  const second = await agentClient(s.base, 'pat-1', 'pat password 2');
  t.is((await state(second)).status, 200);
  t.is((await chats(second)).status, 200);
});

test.serial("the operator disabling or re-passwording a pool agent ends its sessions; enabling it again does not bring them back", async (t) => {
  await addAgent(s, { login: 'olga', password: 'olga password 1' });
  const olga = await agentRow('olga');
  const op = await operatorClient(s.base, ADMIN);
  const edit = { name: 'Olga', endpoint: 'PJSIP/olga', active: 'on' };
  const first = await agentClient(s.base, 'olga', 'olga password 1');
  await op.get(`/admin/agents/${olga.id}`);
  t.is((await op.post(`/admin/agents/${olga.id}`, edit)).status, 303);
  t.is((await state(first)).status, 200, 'an edit that neither disables nor sets a password ends nothing');
  t.is((await op.post(`/admin/agents/${olga.id}`, { ...edit, active: '' })).status, 303);
  t.false((await agentRow('olga')).active);
  t.is((await op.post(`/admin/agents/${olga.id}`, edit)).status, 303);
  t.is((await state(first)).status, 401, 'disabled in between: the old session stays over');

  const second = await agentClient(s.base, 'olga', 'olga password 1');
  t.is((await op.post(`/admin/agents/${olga.id}`, { ...edit, password: 'olga password 2' })).status, 303);
  t.is((await state(second)).status, 401);
  t.is((await state(await agentClient(s.base, 'olga', 'olga password 2'))).status, 200);
});

test.serial("a reset link used by the agent ends the agent's other sessions", async (t) => {
  await addAgent(s, { login: 'rita@example.com', password: 'rita password 1', endpoint: 'PJSIP/rita' });
  const rita = await agentRow('rita@example.com');
  const old = await agentClient(s.base, 'rita@example.com', 'rita password 1');
  t.is((await state(old)).status, 200);
  const link = await createAgentResetLink(s.c.pool, { agentId: rita.id, createdBy: 'email', publicUrl: s.base });
  const path = new URL(link).pathname;
  const browser = new FormClient(s.base);
  t.is((await browser.get(path)).status, 200);
  const set = await browser.post(path, { newPassword: 'rita password 2', confirmPassword: 'rita password 2' });
  t.is(set.status, 200, set.text.slice(0, 200));
  t.is((await state(old)).status, 401);
  t.is(await agentLoginStatus('rita@example.com', 'rita password 2'), 302);
});

test.serial('a session lasts 8 hours from its login, however busy it is', async (t) => {
  await addAgent(s, { login: 'lena', password: 'lena password 1' });
  const lena = await agentClient(s.base, 'lena', 'lena password 1');
  t.is((await state(lena)).status, 200);
  // Its login moved back 8 hours and a minute, as if the agent had kept the console open all day.
  const sid = /(?:^|; )beckon\.sid=([^;]+)/.exec(lena.cookie())?.[1];
  t.truthy(sid);
  const key = redisKeys(s.config.REDIS_PREFIX).session(decodeURIComponent(sid!));
  const stored = JSON.parse((await s.c.redis.get(key))!);
  t.is(typeof stored.user.since, 'number', 'the session keeps the time of its login');
  stored.user.since -= 8 * 3600_000 + 60_000;
  await s.c.redis.set(key, JSON.stringify(stored), 'KEEPTTL');
  t.is((await state(lena)).status, 401);
  t.is(await s.c.redis.exists(key), 0, 'the expired session is gone, not just refused once');
});

test.serial("an operator's sessions end when its password changes (ADMIN_PASSWORD), on every admin page", async (t) => {
  const op = await operatorClient(s.base, ADMIN);
  t.is((await op.get('/admin/agents')).status, 200);
  const other = await operatorClient(s.base, ADMIN);
  // What the web process does at start when ADMIN_PASSWORD no longer matches the stored hash.
  await upsertOperator(s.c.pool, { email: ADMIN.email, name: 'Administrator', passwordHash: await hashPassword('operator password 2') });
  for (const [c, path] of [[op, '/admin'], [other, '/admin/queues']] as const) {
    const r = await c.get(path);
    t.is(r.status, 302, path);
    t.regex(r.location ?? '', /^\/admin\/login/);
  }
  t.is((await op.get('/admin/agents')).status, 302);
  // Putting the password back (the same hash) moves nothing on: a new login works and stays.
  const fresh = await operatorClient(s.base, { email: ADMIN.email, password: 'operator password 2' });
  const row = (await s.c.pool.query(`SELECT password_hash FROM operators WHERE email = $1`, [ADMIN.email])).rows[0];
  await upsertOperator(s.c.pool, { email: ADMIN.email, name: 'Administrator', passwordHash: row.password_hash });
  t.is((await fresh.get('/admin')).status, 200);
});
