import { mkdirSync } from 'node:fs';
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';
import { AGENT_PASSWORD, agentLogin, setAvailable, submitAgentLogin } from '../helpers/agent-console.ts';
import { listTransitions } from '../../src/calls/attempt.repository.ts';

let s: Stack;
let browser: Browser;
let agentId: string;

test.before(async () => {
  s = await startStack({ label: 'agentbrowser', timeScale: 0.2, env: { MAX_CALL_SEC: '30', RATE_LIMITS_ENABLED: 'false', AGENT_WRAP_UP_SEC: '0', AGENT_OFFER_TIMEOUT_SEC: '30' } });
  await demoAnsweredByAgents(s, { waitSec: 60 });
  agentId = (await addAgent(s, { login: 'alice', name: 'Alice Agent', password: AGENT_PASSWORD })).id;
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

test.serial('agent logs in, gets the offer with the page URL, accepts, is bridged, hangs up and saves a disposition', async (t) => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${s.base}/agent`);
  t.regex(page.url(), /\/agent\/login/);
  await submitAgentLogin(page, s.base, 'alice');
  await setAvailable(page);

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

const shown = (page: Page) => page.evaluate(() => ({
  phase: document.getElementById('console')!.dataset.phase,
  title: document.getElementById('offer')!.hidden ? null : document.getElementById('offer-title')!.textContent,
  status: document.getElementById('agent-status')!.textContent,
  timer: (document.getElementById('call-timer') as HTMLElement).hidden ? null : document.getElementById('call-timer')!.textContent,
  wrapup: document.getElementById('agent-wrapup')!.textContent,
  queue: Array.from(document.querySelectorAll('#queue tr')).map((tr) => tr.textContent),
}));

test.serial('the console shows one truthful state through a whole call: offered, ringing, calling the visitor, connected with a timer, muted, on hold, wrap-up counting down, available', async (t) => {
  mkdirSync('test-artifacts', { recursive: true });
  await s.c.pool.query(`UPDATE agents SET wrap_up_sec = 4 WHERE id = $1`, [agentId]);
  // Both phones ring until the test picks them up, so each state lasts long enough to be seen.
  s.sim.setEndpoint('alice', { behavior: { kind: 'noanswer' } });
  s.sim.setRules([{ pattern: '12025550171$', behavior: { kind: 'noanswer' } }]);
  t.teardown(() => { s.sim.resetRules(); s.sim.setEndpoint('alice', { behavior: { kind: 'answer' } }); });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await agentLogin(page, s.base, 'alice');
  await setAvailable(page);

  const r = await request(s.base, '+1 202 555 0171', { name: 'Wanda Walkthrough', pageUrl: 'http://localhost/shop', message: 'Whole call' });
  t.is(r.status, 202, r.text);
  // Reserved before its attempt is stored, the console is 'offered' with the offer still on its way: wait for it.
  await page.waitForFunction(() => document.getElementById('console')?.dataset.phase === 'offered' && !document.getElementById('offer')?.hidden, undefined, { timeout: 10000 });
  let v = await shown(page);
  t.is(v.title, 'Call offered');
  t.is(v.status, 'call offered');
  // No referrer was given: none is shown (the page URL is not repeated as one).
  t.is(await page.textContent('#offer-referrer'), '—');
  // The call in hand is not a line of the queue.
  t.false(v.queue.some((row) => row?.includes('Wanda')));
  await page.screenshot({ path: 'test-artifacts/agent-console-offered-1280.png', fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: 'test-artifacts/agent-console-offered-360.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.click('#accept');
  await page.waitForFunction(() => document.getElementById('console')?.dataset.phase === 'ringing', undefined, { timeout: 10000 });
  v = await shown(page);
  t.is(v.title, 'Your phone is ringing');
  t.is(v.status, 'your phone is ringing');
  const { rows: [att] } = await s.c.pool.query(`SELECT id FROM call_attempts WHERE request_id = $1`, [r.json.id]);
  s.sim.answer(`bk-c-${att.id}`);

  await page.waitForFunction(() => document.getElementById('console')?.dataset.phase === 'calling_visitor', undefined, { timeout: 10000 });
  v = await shown(page);
  t.is(v.title, 'Calling the visitor');
  t.is(v.status, 'calling the visitor');
  s.sim.answer(`bk-v-${att.id}`);

  await page.waitForFunction(() => document.getElementById('console')?.dataset.phase === 'connected', undefined, { timeout: 10000 });
  await page.waitForFunction(() => /^0:0[1-9]$/.test(document.getElementById('call-timer')?.textContent ?? ''), undefined, { timeout: 5000 });
  v = await shown(page);
  t.is(v.title, 'On a call');
  t.is(v.status, 'on a call');
  t.regex(v.timer ?? '', /^0:0\d$/);

  // Mute: the agent's leg is muted inbound at the "Asterisk"; hold: music on the visitor's leg.
  await page.click('#mute');
  await page.waitForFunction(() => document.getElementById('mute')?.textContent === 'Unmute', undefined, { timeout: 5000 });
  const chan = (id: string) => s.sim.channels().find((c: any) => c.id === id) as any;
  t.deepEqual(chan(`bk-c-${att.id}`).muted, { in: true, out: false });
  await page.click('#hold');
  await page.waitForFunction(() => document.getElementById('hold')?.textContent === 'Resume', undefined, { timeout: 5000 });
  t.true(chan(`bk-v-${att.id}`).moh);
  t.regex(await page.textContent('#call-flags') ?? '', /muted.*on hold/);
  await page.screenshot({ path: 'test-artifacts/agent-console-connected-1280.png', fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: 'test-artifacts/agent-console-connected-360.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('#hold');
  await page.waitForFunction(() => document.getElementById('hold')?.textContent === 'Hold', undefined, { timeout: 5000 });
  t.false(chan(`bk-v-${att.id}`).moh);
  // Taking the visitor back does not undo the agent's own mute.
  t.deepEqual(chan(`bk-c-${att.id}`).muted, { in: true, out: false });
  await page.click('#mute');
  await page.waitForFunction(() => document.getElementById('mute')?.textContent === 'Mute', undefined, { timeout: 5000 });
  t.deepEqual(chan(`bk-c-${att.id}`).muted, { in: false, out: false });

  await page.click('#hangup');
  await page.waitForFunction(() => document.getElementById('console')?.dataset.phase === 'wrap_up', undefined, { timeout: 10000 });
  await page.waitForFunction(() => / left$/.test(document.getElementById('agent-wrapup')?.textContent ?? ''), undefined, { timeout: 5000 });
  v = await shown(page);
  t.is(v.status, 'wrap-up');
  t.is(v.title, null);
  t.regex(v.wrapup, /^0:0[1-4] left$/);
  await page.screenshot({ path: 'test-artifacts/agent-console-wrapup-360.png', fullPage: true });
  // The wrap-up ends by itself, on time, in the console and in the database.
  await page.waitForFunction(() => document.getElementById('console')?.dataset.phase === 'available', undefined, { timeout: 8000 });
  t.is((await shown(page)).status, 'available');
  const { rows: [a] } = await s.c.pool.query(`SELECT status, wrap_up_until FROM agents WHERE id = $1`, [agentId]);
  t.deepEqual(a, { status: 'available', wrap_up_until: null });
  t.deepEqual(errors, []);
});
