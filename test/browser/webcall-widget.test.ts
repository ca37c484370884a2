import test from 'ava';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { DateTime } from 'luxon';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { insertDomain, insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';

/**
 * The visitor's "Call now" in the widget and on the hosted form, in chromium with fake media devices: offered only
 * when the business is open and the browser can call, its chunk fetched only on press, the microphone asked only
 * then. Third-party pages: the demo subscriber's http://localhost:<p> and a closed shop's http://www.night.test:<p>
 * (mapped to 127.0.0.1 and treated as a secure context, so only the hours hide the button there).
 */
let s: Stack;
let browser: Browser;
let site: Server;
let sitePort = 0;
const SHOTS = 'test-results/webcall';

test.before(async () => {
  s = await startStack({ label: 'webcallwidget', timeScale: 0.2, env: { WEBCALL_ENABLED: 'true', RATE_LIMITS_ENABLED: 'false' } });
  const day = DateTime.now().setZone('Europe/Paris').plus({ days: 2 }).toFormat('ccc').toLowerCase();
  const night = await insertSubscriber(s.c.pool, {
    slug: 'night', name: 'Night Owl Ltd', country: 'GB', timezone: 'Europe/Paris', phoneE164: '+442079460958', phoneVerified: true,
    settings: { hours: { weekly: { [day]: [{ open: '09:00', close: '17:00' }] }, holidays: [] }, skin: { language: 'en' } },
  });
  await insertDomain(s.c.pool, night.id, 'www.night.test');
  s.c.subscribers.invalidate();
  site = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>Shop</title></head><body><h1>Shop</h1>`
      + `<script src="${s.base}/widget.js" data-subscriber="demo" async></script></body></html>`);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  sitePort = (site.address() as AddressInfo).port;
  browser = await launchChromium([
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection',
    '--host-resolver-rules=MAP *.night.test 127.0.0.1', `--unsafely-treat-insecure-origin-as-secure=http://www.night.test:${sitePort}`,
  ]);
  mkdirSync(SHOTS, { recursive: true });
});
test.after.always(async () => {
  await browser?.close();
  await new Promise((r) => site ? site.close(r) : r(null));
  await s?.close();
});

// Page scripts as text: functions compiled by tsx carry a `__name` helper the page does not have.
const NO_MIC_API = "Object.defineProperty(Navigator.prototype, 'mediaDevices', { get: function () { return undefined; }, configurable: true });";
const NO_WEBRTC = 'window.RTCPeerConnection = undefined;';
const widget = (page: Page) => page.locator('beckon-widget');
const callNow = (page: Page) => widget(page).getByRole('button', { name: 'Call now from your browser' });

/** Opens the widget's panel on `url`; `init` runs in the page before any of its scripts. */
async function openWidget(url: string, init?: string, width = 1280): Promise<{ page: Page; chunks: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  const chunks: string[] = [];
  page.on('request', (r) => { if (/\/widget\/call-[0-9a-f]{16}\.js$/.test(r.url())) chunks.push(r.url()); });
  if (init) await page.addInitScript(init);
  await page.goto(url);
  const fab = widget(page).locator('.fab');
  await fab.waitFor({ timeout: 10000 });
  await fab.click();
  await widget(page).getByRole('dialog').waitFor();
  return { page, chunks };
}

test('open, web calls on and a browser that can call: Call now is offered, the chunk not fetched until pressed', async (t) => {
  const { page, chunks } = await openWidget(`http://localhost:${sitePort}/shop`);
  await callNow(page).waitFor();
  t.true(await callNow(page).isVisible());
  const activeId = await page.evaluate(() => (document.querySelector('beckon-widget')!.shadowRoot!.activeElement as HTMLElement | null)?.id ?? null);
  t.is(activeId, 'dept', 'focus still starts on the form\'s first field; Call now sits just before it');
  await page.waitForTimeout(300);
  t.deepEqual(chunks, [], 'the call chunk (JsSIP) is not part of the first load');
  await page.screenshot({ path: `${SHOTS}/widget-offer-1280.png` });
  await page.close();
  const narrow = await openWidget(`http://localhost:${sitePort}/shop`, undefined, 360);
  await callNow(narrow.page).waitFor();
  const box = (await callNow(narrow.page).boundingBox())!;
  t.true(box.x >= 0 && box.x + box.width <= 360, 'fits a 360 px screen');
  await narrow.page.screenshot({ path: `${SHOTS}/widget-offer-360.png` });
  await narrow.page.close();
});

test('no Call now without a microphone API or without WebRTC, nor while the business is closed', async (t) => {
  const noMic = await openWidget(`http://localhost:${sitePort}/shop`, NO_MIC_API);
  await widget(noMic.page).locator('#phone').waitFor();
  t.is(await widget(noMic.page).locator('button.web').count(), 1, 'drawn, but hidden');
  t.false(await callNow(noMic.page).isVisible(), 'no getUserMedia: hidden');
  await noMic.page.close();

  const noRtc = await openWidget(`http://localhost:${sitePort}/shop`, NO_WEBRTC);
  await widget(noRtc.page).locator('#phone').waitFor();
  t.false(await callNow(noRtc.page).isVisible(), 'no RTCPeerConnection: hidden');
  await noRtc.page.close();

  const closed = await openWidget(`http://www.night.test:${sitePort}/`);
  await widget(closed.page).locator('#slot').waitFor();
  t.true(await closed.page.evaluate(() => typeof navigator.mediaDevices?.getUserMedia === 'function'), 'a browser that could call');
  t.false(await callNow(closed.page).isVisible(), 'closed: hidden');
  await closed.page.close();
});

test('microphone refused: the ticket is asked first, then the microphone; a clear message, and back to the form', async (t) => {
  // Records that POST /api/v1/webcalls went out before the microphone was asked, and refuses the microphone.
  const { page, chunks } = await openWidget(`http://localhost:${sitePort}/shop`, `
    window.__micAsked = 0; window.__posted = 0;
    var fetch0 = window.fetch.bind(window);
    window.fetch = function (input, init) {
      if (String(input).endsWith('/api/v1/webcalls')) window.__posted = window.__micAsked ? -1 : 1;
      return fetch0(input, init);
    };
    navigator.mediaDevices.getUserMedia = function () { window.__micAsked++; return Promise.reject(new DOMException('Permission denied', 'NotAllowedError')); };`);
  await callNow(page).click();
  const status = widget(page).locator('.bkc-status');
  await page.waitForFunction(() => document.querySelector('beckon-widget')!.shadowRoot!.querySelector('.bkc')?.getAttribute('data-phase') === 'ended');
  t.regex((await status.textContent())!, /needs your microphone/);
  t.is(await status.getAttribute('aria-live'), 'polite');
  t.deepEqual(await page.evaluate(() => [(window as any).__posted, (window as any).__micAsked]), [1, 1], 'POST first, then the microphone, once');
  t.is(chunks.length, 1, 'the chunk fetched on press');
  // Served like the bundle: from Beckon, cached for good under its content hash, readable from the shop's origin.
  const chunk = await fetch(chunks[0]!);
  t.is(chunk.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  t.regex(chunk.headers.get('content-type')!, /^application\/javascript/);
  t.is(chunk.headers.get('access-control-allow-origin'), '*');
  t.is(new URL(chunks[0]!).origin, new URL(s.base).origin);
  const back = widget(page).getByRole('button', { name: 'Back to the form' });
  t.true(await back.evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement), 'focus on Back once the call ended');
  t.false(await widget(page).getByRole('button', { name: 'Hang up' }).isVisible());
  t.is(await widget(page).locator('#bk-title').textContent(), 'Talk to Demo Shop', 'the dialog names the call');
  await page.screenshot({ path: `${SHOTS}/widget-mic-refused.png` });
  await page.keyboard.press('Enter');
  await callNow(page).waitFor();
  t.true(await widget(page).locator('#phone').isVisible(), 'the form is back');
  t.is(await widget(page).locator('#bk-title').textContent(), 'We call you back');
  t.true(await callNow(page).evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement));
  await page.close();
});

test('the hosted form offers Call now too, from Beckon\'s origin under its own CSP', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const answer = await page.goto(`${s.base}/c/demo`);
  const csp = answer!.headers()['content-security-policy']!;
  t.regex(csp, /script-src 'self';/, 'scripts from Beckon only: the chunk is served here');
  t.true(csp.includes(`connect-src 'self' ${new URL(s.config.WEBCALL_WS_URL).origin}`), csp);
  const demoPage = await fetch(`${s.base}/`);
  t.true(demoPage.headers.get('content-security-policy')!.includes(`connect-src 'self' ${new URL(s.config.WEBCALL_WS_URL).origin}`),
    'the demo page, whose widget may call too');
  const start = page.getByRole('button', { name: 'Call now from your browser' });
  await start.waitFor();
  await page.screenshot({ path: `${SHOTS}/hosted-offer-1280.png`, fullPage: true });
  await page.evaluate("navigator.mediaDevices.getUserMedia = function () { return Promise.reject(new DOMException('Requested device not found', 'NotFoundError')); }");
  await start.click();
  await page.waitForFunction(() => document.querySelector('.bkc')?.getAttribute('data-phase') === 'ended');
  t.regex((await page.locator('.bkc-status').textContent())!, /No microphone was found/);
  t.true(await page.locator('form[method="post"]').isHidden());
  await page.getByRole('button', { name: 'Back to the form' }).click();
  t.true(await page.locator('form[method="post"]').isVisible());
  await page.close();

  const noMic = await browser.newPage();
  await noMic.addInitScript(NO_MIC_API);
  await noMic.goto(`${s.base}/c/demo`);
  await noMic.locator('#phone').waitFor();
  t.false(await noMic.getByRole('button', { name: 'Call now from your browser' }).isVisible(), 'hidden without a microphone API');
  await noMic.close();
});
