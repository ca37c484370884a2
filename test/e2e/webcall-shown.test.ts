import test from 'ava';
import { randomBytes } from 'node:crypto';
import { startStack, postJson, request, API_AUTH, type Stack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { ownerClient, operatorClient, type FormClient } from '../helpers/portal.ts';
import { parseCsv } from '../helpers/csv-parse.ts';
import { setAgentStatus } from '../../src/agents/agent.repository.ts';
import { consoleSnapshot } from '../../src/agents/agent-console.service.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';

// A web call shows as such wherever requests and calls are shown: the portal's list and request page (kind "Web
// call", no phone number, the visitor's page and message, attempts, records), the reports' channel dimension, the
// admin calls page beside Asterisk's CDR of the browser's channel, and the agent's offer.

const ADMIN = { email: 'ops@example.com', password: 'operator-password-1' };
let s: Stack;
let portal: FormClient;

test.before(async () => {
  s = await startStack({
    label: 'webcall_shown',
    env: { WEBCALL_ENABLED: 'true', MAX_CALL_SEC: '60', RATE_LIMITS_ENABLED: 'false', TRUST_PROXY: 'true', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
    workerExt: { inboundLease: { ttlMs: 2000, renewMs: 200 } },
  });
  s.sim.setRules([{ pattern: '12025550111$', behavior: { kind: 'answer' as const, afterMs: 500, hangupAfterMs: 600_000 } }]);
  await waitFor('the worker holds the inbound app', async () => s.worker!.inboundApp!.holding());
  portal = await ownerClient(s.base);
});
test.after.always(async () => { await s?.close(); });

const decode = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&').replace(/&#x27;/g, "'").replace(/&quot;/g, '"');
const requestRow = async (id: string) => (await s.c.pool.query(`SELECT status FROM callback_requests WHERE id = $1`, [id])).rows[0];

/** A visitor's web call from the shop page, put through, then hung up by the browser; its records written. */
async function webCall(extra: { name: string; message: string; pageUrl: string }, during?: () => Promise<void>) {
  const r = await postJson(s.base, '/api/v1/webcalls', { subscriber: 'demo', visitorId: randomBytes(12).toString('base64url'), ...extra }, API_AUTH);
  if (r.status !== 201) throw new Error(`ticket not issued: ${r.text}`);
  const o = r.json as { requestId: string; ticket: string };
  const placed = s.sim.placeWebCall({ ticket: o.ticket });
  if (!placed.channelId) throw new Error(`web call refused: ${placed.status}`);
  await waitFor('connected', async () => (await requestRow(o.requestId)).status === 'connected', 15000);
  await during?.();
  s.sim.hangUpWebCall(placed.channelId);
  await waitFor('completed', async () => (await requestRow(o.requestId)).status === 'completed', 15000);
  await waitFor('call records', async () => (await s.c.pool.query(`SELECT count(*)::int AS n FROM call_records WHERE request_id = $1`, [o.requestId])).rows[0].n >= 2);
  return { requestId: o.requestId, browserChannelId: placed.channelId };
}

test.serial('the portal lists a web call as such, and its page shows the page, message, attempt and records with no phone number', async (t) => {
  const call = await webCall({ name: 'Web Ada', message: 'Do you <b>deliver</b> on Sundays?', pageUrl: 'http://localhost/shop/cakes?ref=ad' });
  const list = decode((await portal.get('/portal/requests')).text);
  const row = list.slice(list.indexOf(`data-id="${call.requestId}"`), list.indexOf('</tr>', list.indexOf(`data-id="${call.requestId}"`)));
  t.regex(row, /class="kind" data-kind="webcall">Web call</);
  t.regex(row, /Web Ada/);
  t.false(/null/.test(row), 'no empty phone printed');

  const page = await portal.get(`/portal/requests/${call.requestId}`);
  t.is(page.status, 200);
  const html = decode(page.text);
  t.regex(html, /<h1>Web call from Web Ada<\/h1>/);
  t.regex(html, /id="request-kind" data-kind="webcall">Web call</);
  t.false(html.includes('id="visitor-phone"'), 'no phone number for a web call');
  t.true(html.includes('Do you &lt;b&gt;deliver&lt;/b&gt; on Sundays?'), 'the message, escaped');
  t.true(html.includes('http://localhost/shop/cakes?ref=ad'), 'the page');
  t.regex(html, /Attempt 1: answered and put through/);
  t.regex(html, /<td>browser_arrived<\/td>|>browser_arrived</);
  t.regex(html, /<td>visitor \(browser\)<\/td><td>[^<]+<\/td><td>browser<\/td><td>ANSWERED<\/td>/);
  t.regex(html, /<td>callee<\/td><td>[^<]+<\/td><td>\+12025550111<\/td><td>ANSWERED<\/td>/);

  // A call-back's page keeps its phone number and says what it is.
  const cb = await request(s.base, '+1 202 555 0141', { name: 'Phone Pat' });
  t.is(cb.status, 202, cb.text);
  const cbPage = decode((await portal.get(`/portal/requests/${(cb.json as { id: string }).id}`)).text);
  t.regex(cbPage, /id="request-kind" data-kind="callback">Call-back</);
  t.true(cbPage.includes('id="visitor-phone"'));
});

test.serial('reports count web calls and call-backs per channel, in the page and the CSV', async (t) => {
  const csv = parseCsv((await portal.get('/portal/reports.csv')).text);
  const header = csv[0]!;
  const col = (name: string) => header.indexOf(name);
  const web = csv.find((x) => x[0] === 'channel' && x[1] === 'web call')!;
  const { rows: [n] } = await s.c.pool.query(
    `SELECT count(*)::int AS requests, count(*) FILTER (WHERE status = 'completed')::int AS completed FROM callback_requests WHERE kind = 'webcall'`);
  t.is(Number(web[col('requests')]), n.requests);
  t.is(Number(web[col('completed')]), n.completed);
  t.true(n.completed >= 1);
  t.is(Number(web[col('connected')]), n.completed, 'every completed web call was put through');
  t.truthy(csv.find((x) => x[0] === 'channel' && x[1] === 'phone call-back'));
  const html = (await portal.get('/portal/reports')).text;
  t.regex(html, new RegExp(`<tr data-channel="web call"><td>web call</td><td>${n.requests}</td>`));
});

test.serial('the admin calls page shows the browser leg beside Asterisk\'s CDR of PJSIP/anonymous-N', async (t) => {
  const { rows: [rec] } = await s.c.pool.query(
    `SELECT c.channel_id FROM call_records c JOIN callback_requests r ON r.id = c.request_id WHERE r.kind = 'webcall' AND c.leg = 'visitor' LIMIT 1`);
  await waitFor('the browser channel\'s CDR', async () => (await s.c.pool.query(`SELECT 1 FROM ami_cdrs WHERE uniqueid = $1`, [rec.channel_id])).rowCount);
  const admin = await operatorClient(s.base, ADMIN);
  const html = (await admin.get('/admin/calls?subscriber=demo')).text;
  const rows = html.split('<tr').filter((x) => x.includes('data-kind="webcall" data-leg="visitor"'));
  t.true(rows.length >= 1, 'a web call\'s browser leg is listed');
  t.regex(rows[0]!, /visitor <span class="muted">\(web call\)<\/span>/);
  t.regex(rows[0]!, /<td>browser<\/td>/);
  t.regex(rows[0]!, /ANSWERED \/ \d+ s<br><span class="muted cdr-channel">PJSIP\/anonymous-[0-9a-f]+<\/span>/);
});

test.serial('the agent\'s offer shows a web call: kind, visitor, page and message, no number', async (t) => {
  await demoAnsweredByAgents(s, { waitSec: 60, mode: 'customer_first' });
  const agent = await addAgent(s, { login: 'webshown', autoAnswer: true });
  await setAgentStatus(s.c.pool, agent.id, 'available');
  s.c.subscribers.invalidate('demo');
  let offer: Awaited<ReturnType<typeof consoleSnapshot>> = null;
  await webCall({ name: 'Web Bea', message: 'About my order', pageUrl: 'http://localhost/shop/orders' }, async () => {
    offer = await consoleSnapshot(s.c.pool, agent.id);
  });
  const o = offer!.offer!;
  t.like(o.request, { kind: 'webcall', phoneE164: null, visitorName: 'Web Bea', message: 'About my order', pageUrl: 'http://localhost/shop/orders' });
  t.deepEqual(o.earlier, [], 'no number to find earlier requests by');
  t.truthy(o.connectedAt, 'the call\'s timer runs from when the browser was put through');
});
