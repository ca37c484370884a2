import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { addAgent, agentClient } from '../helpers/agents.ts';
import { operatorClient, signUp, type FormClient } from '../helpers/portal.ts';
import { ARI_AUTH } from '../helpers/sim-ari.ts';

/**
 * Which endpoint an agent answers on, and whose softphone credentials it is handed. A subscriber names no endpoint:
 * its agents answer on their own softphone, webagent-<12 hex of the agent's id>. The operator's form refuses the
 * trunk, `anonymous` and another agent's softphone name, and a subscriber's agent is given no declared webagentN. An
 * endpoint belongs to one agent, also while that agent answers in the browser. The softphone an agent turns on is
 * its own (or, for the operator's pool, the webagentN the operator gave it), whatever its row names: Beckon never
 * pushes or hands out a password for an endpoint another agent answers on.
 */
let s: Stack;
const ADMIN = { email: 'ops-endpoints@example.com', password: 'operator password 1' };
const PASSWORD = 'long enough password';
/** The operator's pool: Paula answers the demo's calls in the browser on the declared webagent1, Desmond on a desk phone. */
let paula: { id: string };
let desmond: { id: string };

test.before(async () => {
  s = await startStack({ label: 'agentendpoints', worker: false, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, TRUST_PROXY: 'true' } });
  paula = await addAgent(s, { login: 'paula-pool', password: PASSWORD, endpoint: 'PJSIP/webagent1' });
  desmond = await addAgent(s, { login: 'desmond-pool', password: PASSWORD, endpoint: 'PJSIP/agent2' });
});
test.after.always(async () => { await s?.close(); });

const hex = (id: string) => id.replace(/-/g, '').slice(0, 12);
const own = (id: string) => `PJSIP/webagent-${hex(id)}`;
const row = async (login: string) =>
  (await s.c.pool.query(`SELECT id, endpoint, desk_endpoint, device_state, owner_subscriber_id FROM agents WHERE login = $1`, [login])).rows[0];
const byId = async (id: string) => (await s.c.pool.query(`SELECT endpoint, desk_endpoint, device_state FROM agents WHERE id = $1`, [id])).rows[0];
/** The password Asterisk (the simulator's ARI push configuration) holds for an endpoint's auth; null when none was pushed. */
async function pushedPassword(name: string): Promise<string | null> {
  const r = await fetch(`${s.sim.ariUrl}/ari/asterisk/config/dynamic/res_pjsip/auth/${encodeURIComponent(name)}`, { headers: ARI_AUTH });
  if (r.status === 404) return null;
  const fields = (await r.json()) as { attribute: string; value: string }[];
  return fields.find((f) => f.attribute === 'password')?.value ?? null;
}
const softphone = (c: Awaited<ReturnType<typeof agentClient>>, on: boolean) => c.api('/agent/softphone', { on });

/** A subscriber that signed up a moment ago (nothing verified), its owner on the Team page. */
async function newTenant(): Promise<{ client: FormClient; id: string }> {
  const { client, form } = await signUp(s.base);
  const { rows: [sub] } = await s.c.pool.query(`SELECT id FROM subscribers WHERE email = $1`, [form.email]);
  const page = await client.get('/portal/team');
  if (page.status !== 200) throw new Error(`team page: ${page.status}`);
  return { client, id: sub.id };
}

test.serial('a subscriber names no endpoint: not the pool\'s softphone or desk phone, not the trunk, not anonymous; its agent answers on its own softphone', async (t) => {
  const T = await newTenant();
  t.notRegex((await T.client.get('/portal/team')).text, /name="endpoint"/, 'the form has no endpoint field');
  const attempts = [
    'PJSIP/webagent1', own(paula.id), own(desmond.id), 'PJSIP/agent2', 'PJSIP/agent1', 'PJSIP/carrier', 'PJSIP/anonymous', 'PJSIP/a-desk-of-my-own',
    'Local/900@default',
  ];
  for (const endpoint of attempts) {
    const r = await T.client.post('/portal/team', { name: 'Mallory', login: 'mallory-t', password: 'mallory password 1', endpoint });
    t.is(r.status, 400, endpoint);
    t.regex(r.text, /Your agents answer in the browser/, endpoint);
  }
  t.is(await row('mallory-t'), undefined, 'nothing was made');

  const made = await T.client.post('/portal/team', { name: 'Mallory', login: 'mallory-t', password: 'mallory password 1', endpoint: '' });
  t.is(made.status, 303, made.text.slice(0, 300));
  const m = await row('mallory-t');
  t.like(m, { endpoint: own(m.id), desk_endpoint: null, device_state: 'UNAVAILABLE', owner_subscriber_id: T.id },
    'its own softphone, not offered calls until a browser registers it');
});

test.serial("a subscriber's agent turning its softphone on gets its own endpoint's password, never a pool agent's", async (t) => {
  // Paula answers in the browser on webagent1; Desmond's softphone was on once and is off again.
  const p = await agentClient(s.base, 'paula-pool', PASSWORD);
  const hers = (await softphone(p, true)).json;
  t.is(hers.user, 'webagent1');
  const d = await agentClient(s.base, 'desmond-pool', PASSWORD);
  t.is((await softphone(d, true)).json.user, `webagent-${hex(desmond.id)}`);
  t.is((await softphone(d, false)).status, 200);
  const desmondsNow = await pushedPassword(`webagent-${hex(desmond.id)}`);
  t.truthy(desmondsNow);

  const T = await newTenant();
  t.is((await T.client.post('/portal/team', { name: 'Trudy', login: 'trudy-t', password: 'trudy password 1' })).status, 303);
  const trudy = await row('trudy-t');
  const tc = await agentClient(s.base, 'trudy-t', 'trudy password 1');
  const on = await softphone(tc, true);
  t.is(on.status, 200, on.text);
  t.like(on.json, { user: `webagent-${hex(trudy.id)}`, uri: `sip:webagent-${hex(trudy.id)}@127.0.0.1` });
  t.like(await row('trudy-t'), { endpoint: own(trudy.id), desk_endpoint: own(trudy.id) });
  t.is(await pushedPassword('webagent1'), hers.password, "Paula's password is untouched");

  // Rows naming another agent's softphone, as a subscriber's form could write them before: a declared webagentN
  // nobody answers on, and the name Beckon made for Desmond (he is on his desk phone, so it is free in the table).
  t.is((await softphone(tc, false)).status, 200);
  for (const [endpoint, name] of [['PJSIP/webagent3', 'webagent3'], [own(desmond.id), `webagent-${hex(desmond.id)}`]] as const) {
    await s.c.pool.query(`UPDATE agents SET endpoint = $2 WHERE id = $1`, [trudy.id, endpoint]);
    const before = await pushedPassword(name);
    const again = await softphone(tc, true);
    t.is(again.status, 200, again.text);
    t.is(again.json.user, `webagent-${hex(trudy.id)}`, endpoint);
    t.is(await pushedPassword(name), before, `nothing pushed for ${name}`);
    t.is((await softphone(tc, false)).status, 200);
  }
  t.is(await pushedPassword(`webagent-${hex(desmond.id)}`), desmondsNow);
  await s.c.pool.query(`UPDATE agents SET endpoint = $2 WHERE id = $1`, [trudy.id, own(trudy.id)]);

  // The same holds for an operator's agent left on another agent's webagent- name.
  const olga = await addAgent(s, { login: 'olga-pool', password: PASSWORD, endpoint: own(desmond.id) });
  const o = await agentClient(s.base, 'olga-pool', PASSWORD);
  t.is((await softphone(o, true)).json.user, `webagent-${hex(olga.id)}`);
  t.is(await pushedPassword(`webagent-${hex(desmond.id)}`), desmondsNow);
  await softphone(o, false);
  await s.c.pool.query(`UPDATE agents SET endpoint = $2 WHERE id = $1`, [olga.id, own(olga.id)]);
  await softphone(p, false);
});

test.serial("the operator's form refuses the trunk, anonymous and another agent's softphone name; an endpoint belongs to one agent", async (t) => {
  const op = await operatorClient(s.base, ADMIN);
  await op.get('/admin/agents');
  const make = (login: string, endpoint: string) => op.post('/admin/agents', { name: login, login, password: PASSWORD, endpoint });

  for (const [endpoint, why] of [
    ['PJSIP/carrier', /is the trunk to the phone network/], ['PJSIP/anonymous', /where visitors call from the browser/],
    [own(desmond.id), /one per agent/], [own(paula.id), /one per agent/],
  ] as const) {
    const r = await make('ivy-op', endpoint);
    t.is(r.status, 400, endpoint);
    t.regex(r.text, why, endpoint);
  }
  // Desmond's desk phone, whatever the case; Paula's webagent1.
  for (const endpoint of ['PJSIP/agent2', 'PJSIP/AGENT2', 'PJSIP/webagent1']) {
    const r = await make('ivy-op', endpoint);
    t.is(r.status, 409, endpoint);
    t.regex(r.text, /Another agent already answers on that endpoint/);
  }
  t.is(await row('ivy-op'), undefined);

  // Empty: its own softphone. A declared webagentN nobody answers on is the operator's to give to its pool agent.
  t.is((await make('ivy-op', '')).status, 303);
  const ivy = await row('ivy-op');
  t.like(ivy, { endpoint: own(ivy.id), device_state: 'UNAVAILABLE' });
  t.is((await make('jack-op', 'PJSIP/webagent2')).status, 303);

  // Edits: another's phone or softphone name refused; its own softphone name, a free desk phone, or empty accepted.
  const edit = (id: string, endpoint: string) => op.post(`/admin/agents/${id}`, { name: 'Ivy', endpoint, active: 'on' });
  t.is((await edit(ivy.id, 'PJSIP/agent2')).status, 409);
  t.is((await edit(ivy.id, own(desmond.id))).status, 400);
  t.is((await edit(ivy.id, 'PJSIP/carrier')).status, 400);
  t.is((await edit(ivy.id, 'PJSIP/ivy-desk')).status, 303);
  t.like(await byId(ivy.id), { endpoint: 'PJSIP/ivy-desk', device_state: 'UNKNOWN' });
  t.is((await edit(ivy.id, own(ivy.id).toUpperCase())).status, 303, 'its own name, any case');
  t.like(await byId(ivy.id), { endpoint: own(ivy.id), device_state: 'UNAVAILABLE' });
  t.is((await edit(ivy.id, 'PJSIP/ivy-desk')).status, 303);
  t.is((await edit(ivy.id, '')).status, 303);
  t.like(await byId(ivy.id), { endpoint: own(ivy.id) });

  // Desmond answers in the browser: his desk phone is still his.
  const d = await agentClient(s.base, 'desmond-pool', PASSWORD);
  t.is((await softphone(d, true)).status, 200);
  t.like(await byId(desmond.id), { endpoint: own(desmond.id), desk_endpoint: 'PJSIP/agent2' });
  t.is((await make('kim-op', 'PJSIP/agent2')).status, 409, 'taken while he is in the browser');
  t.is((await edit(ivy.id, 'PJSIP/agent2')).status, 409);
  t.is((await softphone(d, false)).status, 200);
  t.like(await byId(desmond.id), { endpoint: 'PJSIP/agent2', desk_endpoint: null });

  // A subscriber's agent: the operator gives it a desk phone, never a declared webagentN.
  const T = await newTenant();
  t.is((await T.client.post('/portal/team', { name: 'Nina', login: 'nina-t', password: 'nina password 1' })).status, 303);
  const nina = await row('nina-t');
  const r = await op.post(`/admin/agents/${nina.id}`, { name: 'Nina', endpoint: 'PJSIP/webagent3', active: 'on' });
  t.is(r.status, 400);
  t.regex(r.text, /webagentN endpoints are for the operator/);
  t.is((await op.post(`/admin/agents/${nina.id}`, { name: 'Nina', endpoint: 'PJSIP/nina-desk', active: 'on' })).status, 303);
  t.like(await row('nina-t'), { endpoint: 'PJSIP/nina-desk', device_state: 'UNKNOWN' });
});
