import test from 'ava';
import { startStack, getJson, type Stack } from '../helpers/stack.ts';
import { insertDepartment, insertDomain, insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';
import { insertAgent, setAssignments } from '../../src/agents/agent.repository.ts';
import { signUp } from '../helpers/portal.ts';

let s: Stack;
test.before(async () => { s = await startStack({ label: 'diroffer', worker: false }); });
test.after.always(async () => { await s?.close(); });

test('the directory offers only departments that can take a call: verified phones, agents departments with an agent assigned', async (t) => {
  const sub = await insertSubscriber(s.c.pool, { slug: 'staffed', name: 'Staffed', country: 'US', timezone: 'UTC', phoneE164: '+12025550190', phoneVerified: true });
  await insertDomain(s.c.pool, sub.id, 'staffed.example');
  const sales = await insertDepartment(s.c.pool, { subscriberId: sub.id, name: 'Sales', phoneE164: '+12025550191', verified: true, position: 1 });
  await insertDepartment(s.c.pool, { subscriberId: sub.id, name: 'Unverified', phoneE164: '+12025550192', verified: false, position: 2 });
  const desk = await insertDepartment(s.c.pool, { subscriberId: sub.id, name: 'Desk', phoneE164: null, answeredBy: 'agents', position: 3 });
  const names = async () => {
    s.c.subscribers.invalidate();
    const r = await getJson(s.base, '/api/v1/directory?url=' + encodeURIComponent('https://staffed.example/'));
    t.is(r.status, 200);
    return (r.json.departments as { name: string }[]).map((d) => d.name);
  };
  t.deepEqual(await names(), ['Sales'], 'no agent assigned: Desk is hidden, and the unverified phone too');
  const agent = await insertAgent(s.c.pool, { name: 'Olga', login: 'olga', endpoint: 'PJSIP/olga', passwordHash: null });
  // Assigned to the subscriber but narrowed to another department: Desk still has nobody.
  await setAssignments(s.c.pool, agent.id, [sub.id], [sales.id]);
  t.deepEqual(await names(), ['Sales']);
  await setAssignments(s.c.pool, agent.id, [sub.id], [desk.id]);
  t.deepEqual(await names(), ['Sales', 'Desk']);
  // A disabled agent answers nothing.
  await s.c.pool.query('UPDATE agents SET active = false WHERE id = $1', [agent.id]);
  t.deepEqual(await names(), ['Sales']);
  // Every department of the subscriber (no narrowing).
  await s.c.pool.query('UPDATE agents SET active = true WHERE id = $1', [agent.id]);
  await setAssignments(s.c.pool, agent.id, [sub.id], []);
  t.deepEqual(await names(), ['Sales', 'Desk']);
});

test('the portal overview tells the owner what visitors are not offered and what to do', async (t) => {
  const { client } = await signUp(s.base);
  const fresh = await client.get('/portal');
  t.regex(fresh.text, /id="setup-problems"/);
  t.regex(fresh.text, /Your phone is not verified yet, so no call can be made\. Press &quot;Call me with a code&quot; below/);
  const { rows: [me] } = await s.c.pool.query(`SELECT id FROM subscribers ORDER BY created_at DESC LIMIT 1`);
  await s.c.pool.query(`UPDATE subscribers SET phone_verified_at = now() WHERE id = $1`, [me.id]);
  await insertDepartment(s.c.pool, { subscriberId: me.id, name: 'Helpdesk', phoneE164: null, answeredBy: 'agents' });
  const later = await client.get('/portal');
  t.notRegex(later.text, /Your phone is not verified yet/);
  t.regex(later.text, /Department &quot;Helpdesk&quot; is answered by agents, but no agent is assigned to it\. Assign an agent to it on the Team page/);
});
