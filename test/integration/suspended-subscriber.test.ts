import test from 'ava';
import { startStack, postJson, request, type Stack } from '../helpers/stack.ts';
import { FormClient, operatorClient, signUp } from '../helpers/portal.ts';
import { subscriberId, verifiedSignUp } from '../helpers/subscribers.ts';
import { addAgent, agentClient } from '../helpers/agents.ts';
import { ARI_AUTH } from '../helpers/sim-ari.ts';
import { until } from '../helpers/wait-for.ts';
import { startWorker } from '../../src/main/worker.ts';

/*
 * A suspended subscriber: its owner may log in and look, read only (every change is a 403, sessions from before
 * the suspension included), no verification call is placed for it (refused when asked, and by the worker right
 * before dialing when it was asked before the suspension), its own agents are logged out and cannot log in (their
 * softphones withdrawn), and the operator's pool agents no longer see its queue or its chats.
 */
const ADMIN = { email: 'ops-suspend@example.com', password: 'operator password 1' };
let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'suspended', worker: false, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, TRUST_PROXY: 'true' } });
});
test.after.always(async () => { await s?.close(); });

const idOf = async (email: string) => (await s.c.pool.query(`SELECT id FROM subscribers WHERE email = $1`, [email])).rows[0].id as string;
const verifications = async (id: string) => (await s.c.pool.query(`SELECT call_status FROM phone_verifications WHERE subscriber_id = $1`, [id])).rows;

async function setStatus(id: string, action: 'suspend' | 'resume'): Promise<void> {
  const op = await operatorClient(s.base, ADMIN);
  await op.get(`/admin/subscribers/${id}`);
  const r = await op.post(`/admin/subscribers/${id}/${action}`, {});
  if (r.status !== 303) throw new Error(`${action}: ${r.status}`);
}

test.serial('a suspended owner can look but not change anything, whether logged in before or after; no verification call', async (t) => {
  const { client: before, form } = await signUp(s.base, { phone: '+1 202 555 0161' });
  const id = await idOf(form.email!);
  await setStatus(id, 'suspend');

  // The session from before the suspension: pages are shown, every change is refused.
  const overview = await before.get('/portal');
  t.is(overview.status, 200);
  t.regex(overview.text, /suspended/);
  for (const path of ['/portal/requests', '/portal/usage', '/portal/team', '/portal/profile']) t.is((await before.get(path)).status, 200, path);
  const verify = await before.post('/portal/verify', {});
  t.is(verify.status, 403, verify.text.slice(0, 200));
  t.is(JSON.parse(verify.text).error.code, 'account_suspended');
  t.regex(JSON.parse(verify.text).error.message, /suspended.*Contact support/);
  const writes: [string, Record<string, string>][] = [
    ['/portal/profile', { name: 'Renamed', phone: '+1 202 555 0199', country: 'US', timezone: 'UTC' }],
    ['/portal/team', { name: 'Sneaky', login: 'sneaky-1', password: 'sneaky password 1' }],
    ['/portal/departments', { name: 'Victims', phone: '+1 202 555 0198' }],
    ['/portal/domains', { host: 'other.example.com' }],
  ];
  for (const [path, body] of writes) t.is((await before.post(path, body)).status, 403, path);
  t.deepEqual(await verifications(id), [], 'no verification call asked for');
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM agents WHERE login = 'sneaky-1'`)).rows[0].n, 0);
  t.is((await s.c.pool.query(`SELECT name FROM subscribers WHERE id = $1`, [id])).rows[0].name, form.name);

  // A fresh login: allowed, told it is read only, and as refused.
  const fresh = new FormClient(s.base);
  await fresh.get('/login');
  const login = await fresh.post('/login', { email: form.email!, password: form.password! });
  t.is(login.status, 303);
  t.regex((await fresh.get('/portal')).text, /This account is suspended: you can look at it, but nothing can be changed/);
  t.is((await fresh.post('/portal/verify', {})).status, 403);
  t.deepEqual(await verifications(id), []);

  // Resumed: the same session may change things again.
  await setStatus(id, 'resume');
  await fresh.get('/portal');
  const asked = await fresh.post('/portal/verify', {});
  t.is(asked.status, 303);
  t.regex(asked.location ?? '', /^\/portal\/verify\/[0-9a-f-]{36}$/);
});

test.serial("an own agent of a suspended subscriber is logged out, its softphone withdrawn, and cannot log in; a pool agent loses its queue and chats", async (t) => {
  const v = await verifiedSignUp(s, { name: `Suspended team ${Date.now()}` });
  await v.client.get('/portal/team');
  t.is((await v.client.post('/portal/team', { name: 'Own', login: 'own-1', password: 'own password 1' })).status, 303);
  await addAgent(s, { login: 'pool-1', password: 'pool password 1', subscriberIds: [v.id, await subscriberId(s)] });
  const later = new Date(Date.now() + 6 * 3600_000).toISOString();
  const theirs = await request(s.base, '+1 202 555 0171', { subscriber: v.slug, scheduledAt: later });
  t.is(theirs.status, 202, theirs.text);
  const demos = await request(s.base, '+1 202 555 0172', { scheduledAt: later });
  t.is(demos.status, 202, demos.text);
  const chat = await postJson(s.base, '/chat/start', { requestId: theirs.json.id, requestToken: theirs.json.statusToken, body: 'Are you there?' });
  t.is(chat.status, 201, chat.text);

  const own = await agentClient(s.base, 'own-1', 'own password 1');
  const issued = await own.api('/agent/softphone', { on: true });
  t.is(issued.status, 200, issued.text);
  const pool = await agentClient(s.base, 'pool-1', 'pool password 1');
  const queueOf = async () => ((await pool.go('/agent/state', { headers: { accept: 'application/json' } })).json.queue as { id: string }[]).map((q) => q.id);
  const chatsOf = async () => ((await pool.go('/agent/chats/list', { headers: { accept: 'application/json' } })).json.conversations as { id: string }[]).map((c) => c.id);
  t.true((await queueOf()).includes(theirs.json.id));
  t.true((await chatsOf()).includes(chat.json.id));

  await setStatus(v.id, 'suspend');

  t.is((await own.go('/agent/state', { headers: { accept: 'application/json' } })).status, 401, 'the own agent is logged out');
  const r = await fetch(`${s.sim.ariUrl}/ari/asterisk/config/dynamic/res_pjsip/auth/${encodeURIComponent(issued.json.user)}`, { headers: ARI_AUTH });
  const pushed = ((await r.json()) as { attribute: string; value: string }[]).find((f) => f.attribute === 'password')?.value;
  t.not(pushed, issued.json.password, 'its softphone password was replaced at Asterisk');
  t.is((await s.c.pool.query(`SELECT desk_endpoint FROM agents WHERE login = 'own-1'`)).rows[0].desk_endpoint, null);
  const again = new FormClient(s.base);
  await again.get('/agent/login');
  const refused = await again.post('/agent/login', { login: 'own-1', password: 'own password 1' });
  t.is(refused.status, 403);
  t.regex(refused.text, /The account you answer for is suspended/);

  const queue = await queueOf();
  t.false(queue.includes(theirs.json.id), "the suspended subscriber's queue is closed to the pool agent");
  t.true(queue.includes(demos.json.id), "another subscriber's is not");
  t.false((await chatsOf()).includes(chat.json.id));
  t.is((await pool.go(`/agent/chats/${chat.json.id}`, { headers: { accept: 'application/json' } })).status, 404);
});

test.serial('a verification call asked for before the suspension is not dialed: the worker asks right before dialing', async (t) => {
  const { client, form } = await signUp(s.base, { phone: '+1 202 555 0163' });
  const id = await idOf(form.email!);
  await client.get('/portal');
  const asked = await client.post('/portal/verify', {});
  t.is(asked.status, 303, 'asked while active: queued (no worker runs yet)');
  t.deepEqual(await verifications(id), [{ call_status: 'queued' }]);
  await setStatus(id, 'suspend');

  const worker = await startWorker(s.c);
  try {
    await until(async () => (await verifications(id))[0]?.call_status !== 'queued', 15_000);
    t.deepEqual(await verifications(id), [{ call_status: 'failed' }]);
    t.deepEqual(s.sim.originates({ number: '12025550163' }).filter((o) => o.channelId.startsWith('bkver-')), [], 'nothing rang');
  } finally {
    await worker.stop(0);
  }
});
