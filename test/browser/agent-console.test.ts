import test from 'ava';
import { chromium, type Browser } from 'playwright-core';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { insertAgent, setAssignments } from '../../src/agents/agent.repository.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { listTransitions } from '../../src/calls/attempt.repository.ts';

let s: Stack;
let browser: Browser;
let agentId: string;

test.before(async () => {
  s = await startStack({ label: 'agentbrowser', timeScale: 0.2, env: { MAX_CALL_SEC: '30', RATE_LIMITS_ENABLED: 'false', AGENT_WRAP_UP_SEC: '0', AGENT_OFFER_TIMEOUT_SEC: '30' } });
  const { rows: [demo] } = await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`);
  await s.c.pool.query(`UPDATE subscribers SET settings = settings || '{"retry": {"maxAttempts": 1}, "answeredBy": "agents", "agents": {"mode": "agent_first", "waitSec": 60, "fallback": "reschedule"}}' WHERE id = $1`, [demo.id]);
  s.c.subscribers.invalidate();
  const a = await insertAgent(s.c.pool, { name: 'Alice Agent', login: 'alice', endpoint: 'PJSIP/alice', passwordHash: await hashPassword('correct horse battery') });
  await setAssignments(s.c.pool, a.id, [demo.id], []);
  agentId = a.id;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

test('agent logs in, gets the offer with the page URL, accepts, is bridged, hangs up and saves a disposition', async (t) => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${s.base}/agent`);
  t.regex(page.url(), /\/agent\/login/);
  await page.fill('#login', 'alice');
  await page.fill('#password', 'correct horse battery');
  await Promise.all([page.waitForURL(`${s.base}/agent`), page.click('button[type=submit]')]);
  await page.click('#set-available');
  await page.waitForFunction(() => document.getElementById('agent-status')?.textContent === 'available');

  const r = await request(s.base, '+1 202 555 0161', { name: 'Vera Visitor', pageUrl: 'http://localhost/pricing?plan=pro', message: 'About the pro plan' });
  t.is(r.status, 202, r.text);
  await page.waitForSelector('#offer:not([hidden])', { timeout: 10000 });
  t.is(await page.textContent('#offer-page-url'), 'http://localhost/pricing?plan=pro');
  t.is(await page.textContent('#offer-name'), 'Vera Visitor');
  t.is(await page.textContent('#offer-message'), 'About the pro plan');
  // Nothing rings before the agent accepts.
  t.is(s.sim.originates().filter((o: any) => o.endpoint === 'PJSIP/alice').length, 0);
  await page.click('#accept');
  await page.waitForFunction(() => document.getElementById('offer-state')?.textContent === 'Connected', undefined, { timeout: 15000 });

  const { rows: [att] } = await s.c.pool.query(`SELECT id, state, bridge_id FROM call_attempts WHERE request_id = $1`, [r.json.id]);
  t.is(att.state, 'connected');
  // Both legs are up in the same bridge at the "Asterisk".
  const chans = s.sim.channels().filter((c: any) => c.id.includes(att.id)).map((c: any) => c.id).sort();
  t.deepEqual(chans, [`bk-c-${att.id}`, `bk-v-${att.id}`]);

  await page.click('#hangup');
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 15000);
  t.is(st.status, 'completed');
  t.deepEqual((await listTransitions(s.c.pool, att.id)).map((x) => x.to), ['offered', 'agent_ringing', 'visitor_ringing', 'connected', 'ended']);

  await page.waitForSelector('#last-call:not([hidden])', { timeout: 10000 });
  await page.selectOption('#disposition', 'sale');
  await page.fill('#notes', 'Upgraded to <b>pro</b>');
  await page.click('#save-disposition');
  await page.waitForFunction(() => document.getElementById('disposition-saved')?.textContent === 'saved');
  const { rows: [d] } = await s.c.pool.query(`SELECT disposition, notes, agent_id FROM request_dispositions WHERE request_id = $1`, [r.json.id]);
  t.deepEqual(d, { disposition: 'sale', notes: 'Upgraded to <b>pro</b>', agent_id: agentId });
  t.deepEqual(errors, []);
});
