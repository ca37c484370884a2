import test from 'ava';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { until } from '../helpers/wait-for.ts';
import { restClient } from '../helpers/sim-ari.ts';
import { insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';

/**
 * A visitor's web call end to end: chromium with fake media devices presses "Call now" in the widget on the demo
 * subscriber's page, JsSIP calls the simulator's SIP WebSocket with the ticket, the worker redeems it and rings
 * the department's phone, and the browser really receives audio (getStats), then hangs up. Keyboard only.
 */
let s: Stack;
let browser: Browser;
let site: Server;
let sitePort = 0;
const SHOTS = 'test-results/webcall';

// Page scripts as text: functions compiled by tsx carry a `__name` helper the page does not have.
// Every peer connection the page makes is kept, so the test can read its statistics.
const KEEP_PEER_CONNECTIONS = `
  window.__pcs = [];
  var Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (a, b) { var pc = new Native(a, b); window.__pcs.push(pc); return pc; };
  window.RTCPeerConnection.prototype = Native.prototype;`;

test.before(async () => {
  // Simulated time at full scale: the department's phone rings long enough for the music on hold to reach the
  // browser (audio flows only while something plays, as on Asterisk).
  s = await startStack({ label: 'webcallcall', timeScale: 1, env: { WEBCALL_ENABLED: 'true', RATE_LIMITS_ENABLED: 'false', MAX_CALL_SEC: '60', RING_TIMEOUT: '8' } });
  site = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>Shop</title></head><body><h1>Shop</h1>`
      + `<script src="${s.base}/widget.js" data-subscriber="demo" async></script></body></html>`);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  sitePort = (site.address() as AddressInfo).port;
  browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection']);
  mkdirSync(SHOTS, { recursive: true });
});
test.after.always(async () => {
  await browser?.close();
  await new Promise((r) => site ? site.close(r) : r(null));
  await s?.close();
});

const widget = (page: Page) => page.locator('beckon-widget');
const phase = (page: Page) => page.evaluate(() => document.querySelector('beckon-widget')!.shadowRoot!.querySelector('.bkc')?.getAttribute('data-phase') ?? null);
const focused = (page: Page) => page.evaluate(() => (document.querySelector('beckon-widget')!.shadowRoot!.activeElement as HTMLElement | null)?.textContent ?? null);
const inboundPackets = (page: Page) => page.evaluate(async () => {
  let n = 0;
  for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
    (await pc.getStats()).forEach((r: { type: string; kind?: string; packetsReceived?: number }) => { if (r.type === 'inbound-rtp' && r.kind === 'audio') n += r.packetsReceived ?? 0; });
  }
  return n;
});

/**
 * Audio reaches the browser only while something plays on its channel (ringback as early media while the phone rings,
 * which a loaded machine may shorten to nothing before the bridge): a sound played to the browser's channel makes sure.
 */
async function playToBrowser(): Promise<void> {
  const rest = restClient(s.sim);
  const channels = (await rest('GET', '/ari/channels')).body as { id: string; name: string }[];
  const browserLeg = channels.find((c) => c.name.startsWith('PJSIP/anonymous'));
  if (browserLeg) await rest('POST', `/ari/channels/${browserLeg.id}/play?media=${encodeURIComponent('sound:hello-world')}`);
}

for (const width of [1280, 360]) {
  test.serial(`${width} px: Call now connects to the department's phone with audio, mute, timer, and hang up from the keyboard`, async (t) => {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    await page.addInitScript(KEEP_PEER_CONNECTIONS);
    await page.goto(`http://localhost:${sitePort}/shop`);
    const fab = widget(page).locator('.fab');
    await fab.waitFor({ timeout: 10000 });
    await fab.focus();
    await page.keyboard.press('Enter');
    const callNow = widget(page).getByRole('button', { name: 'Call now from your browser' });
    await callNow.waitFor();
    await callNow.focus();
    await page.keyboard.press('Enter');
    await until(async () => (await phase(page)) !== null, 10000);
    t.is(await focused(page), 'Hang up', 'keyboard users land on Hang up');

    const phases: string[] = [];
    const packets: number[] = [];
    await until(async () => {
      const p = await phase(page);
      packets.push(await inboundPackets(page));
      if (p && phases[phases.length - 1] !== p) phases.push(p);
      return p === 'connected' || p === 'ended';
    }, 30000);
    t.is(await phase(page), 'connected', `phases: ${phases.join(' → ')}; ${await widget(page).locator('.bkc-status').textContent()}`);
    t.regex((await widget(page).locator('.bkc-status').textContent())!, /Connected with Demo Shop/);
    if ((await inboundPackets(page)) === 0) await playToBrowser();
    await until(async () => (await inboundPackets(page)) > 0, 10000);
    const received = await inboundPackets(page);
    t.true(received > 0, `the browser receives audio (${packets.join(',')})`);
    t.log(`phases ${phases.join(' → ')}; ${received} audio packets received`);
    const timer = widget(page).getByRole('timer');
    await until(async () => (await timer.textContent()) !== '0:00', 5000);
    t.regex((await timer.textContent())!, /^0:0[1-9]$/);
    await page.screenshot({ path: `${SHOTS}/widget-connected-${width}.png` });

    // Mute through the keyboard: the sent track goes silent and the button says so.
    const mute = widget(page).getByRole('button', { name: 'Mute microphone' });
    await mute.focus();
    await page.keyboard.press('Enter');
    t.is(await mute.getAttribute('aria-pressed'), 'true');
    t.false(await page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs[0]!.getSenders().some((x) => x.track?.enabled)));

    await widget(page).getByRole('button', { name: 'Hang up' }).focus();
    await page.keyboard.press('Enter');
    await until(async () => (await phase(page)) === 'ended', 10000);
    t.regex((await widget(page).locator('.bkc-status').textContent())!, /You hung up/);
    t.is(await focused(page), 'Back to the form');
    const { rows } = await s.c.pool.query<{ status: string; kind: string }>(
      "SELECT status, kind FROM callback_requests WHERE kind = 'webcall' ORDER BY created_at DESC LIMIT 1");
    t.is(rows[0]?.kind, 'webcall');
    await until(async () => {
      const r = await s.c.pool.query<{ status: string }>("SELECT status FROM callback_requests WHERE kind = 'webcall' ORDER BY created_at DESC LIMIT 1");
      return r.rows[0]?.status === 'completed';
    }, 10000);
    await page.close();
  });
}

test.serial('the hosted form\'s Call now connects too, under the page\'s own CSP, and the business hanging up ends it', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(KEEP_PEER_CONNECTIONS);
  const blocked: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
  await page.goto(`${s.base}/c/demo`);
  await page.getByRole('button', { name: 'Call now from your browser' }).click();
  const phaseHere = () => page.evaluate(() => document.querySelector('.bkc')?.getAttribute('data-phase') ?? null);
  await until(async () => ['connected', 'ended'].includes((await phaseHere()) ?? ''), 30000);
  t.is(await phaseHere(), 'connected', (await page.locator('.bkc-status').textContent()) ?? '');
  t.deepEqual(blocked, []);
  if ((await inboundPackets(page)) === 0) await playToBrowser();
  await until(async () => (await inboundPackets(page)) > 0, 10000);
  t.true((await inboundPackets(page)) > 0);
  await page.screenshot({ path: `${SHOTS}/hosted-connected-1280.png`, fullPage: true });
  // The business's side hangs up: every channel of the call is hung up in the simulator, the browser gets a BYE.
  const { rows } = await s.c.pool.query<{ id: string }>("SELECT id FROM callback_requests WHERE kind = 'webcall' ORDER BY created_at DESC LIMIT 1");
  await until(async () => (await s.c.pool.query("SELECT 1 FROM callback_requests WHERE id = $1 AND status = 'connected'", [rows[0]!.id])).rowCount === 1, 5000);
  const rest = restClient(s.sim);
  const channels = (await rest('GET', '/ari/channels')).body as { id: string; name: string }[];
  const callee = channels.find((c) => !c.name.startsWith('PJSIP/anonymous'));
  t.truthy(callee, JSON.stringify(channels.map((c) => c.name)));
  t.is((await rest('DELETE', `/ari/channels/${callee!.id}`)).status, 204);
  await until(async () => (await phaseHere()) === 'ended', 10000);
  t.regex((await page.locator('.bkc-status').textContent())!, /Demo Shop ended the call/, `reason ${await page.evaluate(() => document.querySelector('.bkc')?.getAttribute('data-reason'))}`);
  await page.getByRole('button', { name: 'Back to the form' }).click();
  t.true(await page.locator('form[method="post"]').isVisible());
  await page.close();
});

test.serial('a forged ticket: Asterisk declines the browser\'s call within a second, nothing rings, the visitor is told', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // The answer to POST /api/v1/webcalls reaches the page with another ticket than the one issued.
  await page.route('**/api/v1/webcalls', async (route) => {
    const r = await route.fetch();
    const body = await r.json() as Record<string, unknown>;
    await route.fulfill({ response: r, json: { ...body, ticket: 'Zm9yZ2VkLXRpY2tldC1ub3QtaXNzdWVkLWJ5LWJlY2tvbg' } });
  });
  await page.goto(`http://localhost:${sitePort}/shop`);
  await widget(page).locator('.fab').click();
  const rungBefore = (await restClient(s.sim)('GET', '/ari/channels')).body as unknown[];
  await widget(page).getByRole('button', { name: 'Call now from your browser' }).click();
  await until(async () => ['connecting', 'ringing', 'connected', 'ended'].includes((await phase(page)) ?? ''), 10000);
  const sent = Date.now();
  await until(async () => (await phase(page)) === 'ended', 5000);
  t.true(Date.now() - sent < 1500, `ended ${Date.now() - sent} ms after the INVITE went out`);
  t.is(await page.evaluate(() => document.querySelector('beckon-widget')!.shadowRoot!.querySelector('.bkc')!.getAttribute('data-reason')), 'refused');
  t.regex((await widget(page).locator('.bkc-status').textContent())!, /could not be started/);
  t.deepEqual((await restClient(s.sim)('GET', '/ari/channels')).body, rungBefore, 'no channel left, nothing rung');
  await page.close();
});

test.serial('a busy line: the visitor hearing ringback is told the line is busy', async (t) => {
  // The simulator's phones ending in 0 answer busy.
  await insertSubscriber(s.c.pool, {
    slug: 'busyshop', name: 'Busy Shop', country: 'US', timezone: 'UTC', phoneE164: '+12025550140', phoneVerified: true, settings: {},
  });
  s.c.subscribers.invalidate();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${s.base}/c/busyshop`);
  await page.getByRole('button', { name: 'Call now from your browser' }).click();
  const phaseHere = () => page.evaluate(() => document.querySelector('.bkc')?.getAttribute('data-phase') ?? null);
  await until(async () => (await phaseHere()) === 'ended', 30000);
  // The browser is not answered while the phone rings (ringback is early media), so the busy callee reaches it as
  // 486 Busy Here (JsSIP cause "Busy").
  const reason = await page.evaluate(() => document.querySelector('.bkc')?.getAttribute('data-reason'));
  t.is(reason, 'busy', `${reason}: ${await page.locator('.bkc-status').textContent()}`);
  t.regex((await page.locator('.bkc-status').textContent())!, /The line is busy/);
  await page.close();
});

test.serial('an unanswered line: the visitor hears ringback as early media, then is told nobody answered', async (t) => {
  // The simulator's phones ending in 9 ring until the ring timeout.
  await insertSubscriber(s.c.pool, {
    slug: 'quietshop', name: 'Quiet Shop', country: 'US', timezone: 'UTC', phoneE164: '+12025550149', phoneVerified: true, settings: {},
  });
  s.c.subscribers.invalidate();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(KEEP_PEER_CONNECTIONS);
  await page.goto(`${s.base}/c/quietshop`);
  await page.getByRole('button', { name: 'Call now from your browser' }).click();
  const phaseHere = () => page.evaluate(() => document.querySelector('.bkc')?.getAttribute('data-phase') ?? null);
  await until(async () => (await phaseHere()) === 'ringing', 15000);
  // Ringback reaches the unanswered browser as audio (183 with SDP, then RTP) while the phone rings.
  await until(async () => (await inboundPackets(page)) > 0 || (await phaseHere()) === 'ended', 8000);
  t.true((await inboundPackets(page)) > 0, 'ringback heard before any answer');
  t.is(await phaseHere(), 'ringing');
  await until(async () => (await phaseHere()) === 'ended', 30000);
  // Refused unanswered with 480 (ARI reason no_answer): JsSIP's cause "Unavailable".
  const reason = await page.evaluate(() => document.querySelector('.bkc')?.getAttribute('data-reason'));
  t.is(reason, 'noanswer', `${reason}: ${await page.locator('.bkc-status').textContent()}`);
  t.regex((await page.locator('.bkc-status').textContent())!, /Nobody answered/);
  await page.close();
});
