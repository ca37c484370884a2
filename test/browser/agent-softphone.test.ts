import test from 'ava';
import type { Browser } from 'playwright-core';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';
import { AGENT_PASSWORD, openAgentConsole, setAvailable } from '../helpers/agent-console.ts';
import { until } from '../helpers/wait-for.ts';

/**
 * An agent answering in the console's softphone: chromium with fake media devices logs in, chooses "Answer in the
 * browser" (JsSIP registers with this session's credentials), takes a call-back offer, the worker's originate rings
 * the browser, which answers; the visitor's phone is rung and bridged; the agent hangs up in the console.
 */
let s: Stack;
let browser: Browser;

test.before(async () => {
  s = await startStack({ label: 'agentsoftphonebr', timeScale: 0.2, env: { MAX_CALL_SEC: '30', RATE_LIMITS_ENABLED: 'false', AGENT_WRAP_UP_SEC: '0', AGENT_OFFER_TIMEOUT_SEC: '30' } });
  await demoAnsweredByAgents(s, { waitSec: 60 });
  await addAgent(s, { login: 'hana', name: 'Hana Agent', password: AGENT_PASSWORD });
  browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection']);
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

const KEEP_PEER_CONNECTIONS = `
  window.__pcs = [];
  var Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (a, b) { var pc = new Native(a, b); window.__pcs.push(pc); return pc; };
  window.RTCPeerConnection.prototype = Native.prototype;`;
const iceConnected = (page: import('playwright-core').Page) => page.evaluate(() =>
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.some((pc) => pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed'));

const softphoneState = (page: import('playwright-core').Page) => page.evaluate(() => document.getElementById('softphone')?.dataset.state ?? null);

test.serial('the agent answers a call-back in the browser and hangs up there', async (t) => {
  const errors: string[] = [];
  const page = await openAgentConsole(browser, s.base, 'hana', errors);
  await page.check('#softphone-on');
  await page.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'registered', undefined, { timeout: 10000 });
  const device = await until(async () => {
    const r = (await s.c.pool.query(`SELECT endpoint, device_state FROM agents WHERE login = 'hana'`)).rows[0];
    return r.device_state === 'NOT_INUSE' ? r : null;
  }, 5000);
  t.regex(device.endpoint, /^PJSIP\/webagent-[0-9a-f]{12}$/);
  await setAvailable(page);

  const r = await request(s.base, '+1 202 555 0143', { name: 'Ida Visitor' });
  t.is(r.status, 202, r.text);
  await page.waitForSelector('#accept:not([hidden])', { timeout: 10000 });
  await page.click('#accept');
  // The worker rings the browser (an INVITE over the SIP WebSocket), which picks up: the agent accepted already.
  await page.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'in_call', undefined, { timeout: 15000 });
  t.true(s.sim.originates().some((o: any) => o.endpoint === device.endpoint));
  await page.waitForFunction(() => document.getElementById('offer-state')?.textContent === 'Connected', undefined, { timeout: 15000 });
  t.is(await page.textContent('#softphone-state'), 'On a call in the browser.');

  await page.click('#hangup');
  await page.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'registered', undefined, { timeout: 10000 });
  const fin = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 15000);
  t.is(fin.status, 'completed');
  t.is(await softphoneState(page), 'registered', 'still registered for the next call');
  t.deepEqual(errors, []);
  await page.close();
});

test.serial('a visitor\'s web call rings the agent\'s browser; Accept answers, both browsers connect, the visitor hangs up', async (t) => {
  const errors: string[] = [];
  const agentPage = await browser.newPage();
  agentPage.on('pageerror', (e) => errors.push(e.message));
  await agentPage.addInitScript(KEEP_PEER_CONNECTIONS);
  await agentPage.goto(`${s.base}/agent/login`);
  await agentPage.fill('#login', 'hana');
  await agentPage.fill('#password', AGENT_PASSWORD);
  await Promise.all([agentPage.waitForURL(`${s.base}/agent`), agentPage.click('button[type=submit]')]);
  await agentPage.check('#softphone-on');
  await agentPage.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'registered', undefined, { timeout: 10000 });
  await until(async () => (await s.c.pool.query(`SELECT 1 FROM agents WHERE login = 'hana' AND device_state = 'NOT_INUSE'`)).rowCount === 1, 5000);
  await setAvailable(agentPage);

  const visitor = await browser.newPage();
  await visitor.addInitScript(KEEP_PEER_CONNECTIONS);
  await visitor.goto(`${s.base}/c/demo`);
  await visitor.getByRole('button', { name: 'Call now from your browser' }).click();
  // A web call goes straight to the agent (customer first): the browser rings, and Accept picks it up.
  await agentPage.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'ringing', undefined, { timeout: 15000 });
  await agentPage.waitForSelector('#accept:not([hidden])', { timeout: 5000 });
  // The offer says it is a web call, with no number to show.
  t.regex((await agentPage.textContent('#offer-title'))!, /^Web call: /);
  t.is(await agentPage.textContent('#offer-phone'), 'none (web call)');
  await agentPage.click('#accept');
  await agentPage.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'in_call', undefined, { timeout: 15000 });
  const visitorPhase = () => visitor.evaluate(() => document.querySelector('.bkc')?.getAttribute('data-phase') ?? null);
  await until(async () => ['connected', 'ended'].includes((await visitorPhase()) ?? ''), 15000);
  t.is(await visitorPhase(), 'connected');
  await until(async () => (await iceConnected(agentPage)) && (await iceConnected(visitor)), 10000);
  t.true(await iceConnected(agentPage), 'the agent\'s media is connected');

  await visitor.getByRole('button', { name: 'Hang up' }).click();
  await agentPage.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'registered', undefined, { timeout: 10000 });
  await until(async () => (await s.c.pool.query("SELECT 1 FROM callback_requests WHERE kind = 'webcall' AND status = 'completed'")).rowCount === 1, 10000);
  t.deepEqual(errors, []);
  await visitor.close();
  await agentPage.close();
});

test.serial('Decline while the browser rings refuses with 603 (cause 21, not the 480 that reads as no answer)', async (t) => {
  const errors: string[] = [];
  const agentPage = await openAgentConsole(browser, s.base, 'hana', errors);
  await agentPage.check('#softphone-on');
  await agentPage.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'registered', undefined, { timeout: 10000 });
  const { endpoint } = (await s.c.pool.query(`SELECT endpoint FROM agents WHERE login = 'hana'`)).rows[0];
  await until(async () => (await s.c.pool.query(`SELECT 1 FROM agents WHERE login = 'hana' AND device_state = 'NOT_INUSE'`)).rowCount === 1, 5000);
  await setAvailable(agentPage);

  const visitor = await browser.newPage();
  await visitor.goto(`${s.base}/c/demo`);
  await visitor.getByRole('button', { name: 'Call now from your browser' }).click();
  await agentPage.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'ringing', undefined, { timeout: 15000 });
  await agentPage.waitForSelector('#decline:not([hidden])', { timeout: 5000 });
  await agentPage.click('#decline');
  await agentPage.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'registered', undefined, { timeout: 10000 });
  const leg = await until(() => s.sim.calls().find((c: any) => c.endpoint === endpoint && c.state === 'ended'), 5000);
  t.is(leg!.cause, 21, `${leg!.cause} ${leg!.causeText}`);
  t.deepEqual(errors, []);
  await visitor.close();
  await agentPage.close();
});
