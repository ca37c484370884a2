import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { FormClient, ownerClient, signUp } from '../helpers/portal.ts';
import { until } from '../helpers/wait-for.ts';
import { DEMO_AGENT } from '../../src/agents/demo-agent.ts';
import { saveDisposition } from '../../src/agents/agent.repository.ts';

let s: Stack;
let portal: FormClient;
let answered: { id: string; statusToken: string };
let busy: { id: string; statusToken: string };

const decode = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&').replace(/&#x27;/g, "'").replace(/&quot;/g, '"');

test.before(async () => {
  s = await startStack({ label: 'portal_request', env: { TRUST_PROXY: 'true', RATE_LIMITS_ENABLED: 'false' } });
  const a = await request(s.base, '+1 202 555 0141', {
    name: 'Ada <b>Lovelace</b>', message: 'Please call about the <script>wedding</script> cake, after 5 pm.',
    pageUrl: 'http://localhost/cakes/wedding?size=large', referrer: 'https://search.example/?q=cakes', department: 'Sales',
  });
  const b = await request(s.base, '+1 202 555 0150', { name: 'Busy Bee', pageUrl: 'http://localhost/contact' });
  if (a.status !== 202 || b.status !== 202) throw new Error(`refused: ${a.text} ${b.text}`);
  answered = a.json; busy = b.json;
  await Promise.all([answered, busy].map((x) => waitForStatus(s.base, x, (st) => st.attempts?.[0]?.endedAt && (FINAL.has(st.status) || st.status === 'scheduled'), 20000)));
  await until(async () => (await s.c.pool.query(`SELECT count(*)::int AS n FROM call_records WHERE request_id = $1`, [answered.id])).rows[0].n >= 2, 10000, 100);
  const agentId = (await s.c.pool.query(`SELECT id FROM agents WHERE login = $1`, [DEMO_AGENT.login])).rows[0].id;
  await saveDisposition(s.c.pool, { requestId: answered.id, agentId, disposition: 'sale', notes: 'Ordered a three-tier cake.' });
  portal = await ownerClient(s.base);
});
test.after.always(async () => { await s?.close(); });

test('the request list shows the message and links every request to its page', async (t) => {
  const list = await portal.get('/portal/requests');
  t.is(list.status, 200);
  t.true(list.text.includes(`href="/portal/requests/${answered.id}"`));
  t.true(list.text.includes(`href="/portal/requests/${busy.id}"`));
  t.true(decode(list.text).includes('Please call about the &lt;script&gt;wedding&lt;/script&gt; cake'), 'the message, escaped');
});

test('the request page shows what the visitor gave, the history with durations, attempts with causes, agent, disposition and charges', async (t) => {
  const r = await portal.get(`/portal/requests/${answered.id}`);
  t.is(r.status, 200);
  const html = decode(r.text);
  t.true(html.includes('Ada &lt;b&gt;Lovelace&lt;/b&gt;'), 'name, escaped');
  t.false(html.includes('<script>wedding'), 'nothing the visitor typed is markup');
  t.true(html.includes('Please call about the &lt;script&gt;wedding&lt;/script&gt; cake, after 5 pm.'));
  t.true(html.includes('http://localhost/cakes/wedding?size=large'));
  t.true(html.includes('https://search.example/?q=cakes'));
  t.regex(html, /id="visitor-department">Sales</);
  t.regex(html, /id="visitor-phone"><a href="tel:\+12025550141">/);
  t.regex(html, /id="request-status">completed/);
  // every status move, in order, with how long each state lasted
  const history = [...html.matchAll(/<tr><td>[\d-]+ [\d:]+<\/td><td>(\w*)<\/td><td>(\w+)<\/td><td>([^<]*)<\/td>/g)].map((m) => m[2]);
  const stored = (await s.c.pool.query(`SELECT to_status FROM request_status_history WHERE request_id = $1 ORDER BY id`, [answered.id])).rows.map((x) => x.to_status);
  t.deepEqual(history, stored);
  t.true(stored.includes('connected') && stored.at(-1) === 'completed');
  t.regex(html, /<td>dialing<\/td><td>\d+ s<\/td>/, 'time spent dialing');
  t.regex(html, /<h3>Attempt 1: answered and put through<\/h3>/);
  t.regex(html, /<dd class="talk">\d+ s<\/dd>/, 'talk time');
  t.regex(html, /<dd class="cause">16 \(Normal Clearing\)<\/dd>/i);
  t.regex(html, /<summary>Steps \(\d+\)<\/summary>/);
  // disposition with the agent's name
  t.regex(html, /<b>sale<\/b> by Demo Agent/);
  t.true(html.includes('Ordered a three-tier cake.'));
  // both legs and their charges, the total matching the stored records
  const { rows } = await s.c.pool.query(`SELECT leg, charge_cents FROM call_records WHERE request_id = $1 ORDER BY leg`, [answered.id]);
  t.deepEqual(rows.map((x) => x.leg), ['callee', 'visitor']);
  const total = rows.reduce((n, x) => n + Number(x.charge_cents), 0);
  t.regex(html, new RegExp(`id="total-charge">${Math.floor(total / 100)}\\.${String(total % 100).padStart(2, '0')} `));
  t.is([...html.matchAll(/<td class="charge">/g)].length, 2);
});

test('a busy attempt shows its outcome and cause', async (t) => {
  const html = decode((await portal.get(`/portal/requests/${busy.id}`)).text);
  t.regex(html, /<h3>Attempt 1: line busy<\/h3>/);
  t.regex(html, /<dd class="cause">17 /);
  t.regex(html, /id="visitor-referrer" class="url"><span class="muted">none/);
});

test('another subscriber\'s request, an unknown id and a malformed id are all 404', async (t) => {
  const other = await signUp(s.base);
  t.is(other.status, 303);
  const theirs = await other.client.get(`/portal/requests/${answered.id}`);
  t.is(theirs.status, 404);
  t.false(theirs.text.includes('Lovelace'));
  t.is((await portal.get('/portal/requests/00000000-0000-4000-8000-000000000000')).status, 404);
  t.is((await portal.get('/portal/requests/not-a-uuid')).status, 404);
  const anon = new FormClient(s.base);
  const r = await anon.get(`/portal/requests/${answered.id}`);
  t.not(r.status, 200);
  t.false(r.text.includes('Lovelace'));
});
