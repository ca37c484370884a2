import test from 'ava';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, ConsoleMessage } from 'playwright-core';
import { DateTime } from 'luxon';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { recordWidgetStatus, widgetStatusSeen } from '../helpers/widget-page.ts';
import { mergeSettings } from '../helpers/subscribers.ts';
import { insertDomain, insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';

/**
 * Third-party pages on other origins than Beckon (http://127.0.0.1:<beckon>): the demo subscriber's
 * http://localhost:<p>, a second enterprise's http://shop.acme.test:<p> and an unregistered
 * http://www.nobody.test:<p> (chromium maps those names to 127.0.0.1).
 */
let s: Stack;
let browser: Browser;
let site: Server;
let sitePort = 0;

test.before(async () => {
  // Scaled phones: answer after 200 ms, stay on 12 s, so "connected" is on screen long enough to see.
  s = await startStack({ label: 'widgetbrowser', timeScale: 0.2, env: { MAX_CALL_SEC: '30', RATE_LIMITS_ENABLED: 'false' } });
  await mergeSettings(s, { retry: { maxAttempts: 1 }, skin: { primaryColor: '#0b5fff', textColor: '#ffffff', buttonText: 'Call me back', position: 'bottom-right', language: 'en' } });
  const acme = await insertSubscriber(s.c.pool, {
    slug: 'acme', name: 'Acme SARL', country: 'FR', timezone: 'Europe/Paris', phoneE164: '+33144556677', phoneVerified: true,
    // White on yellow is unreadable (1.2:1): the widget must switch the text to black.
    settings: { skin: { primaryColor: '#ffeb3b', textColor: '#ffffff', buttonText: 'Rappel gratuit', position: 'bottom-left', language: 'fr' } },
  });
  await insertDomain(s.c.pool, acme.id, '*.acme.test');
  // Closed now: open only two days from now (Paris time), 09:00-17:00.
  const day = DateTime.now().setZone('Europe/Paris').plus({ days: 2 }).toFormat('ccc').toLowerCase();
  const night = await insertSubscriber(s.c.pool, {
    slug: 'night', name: 'Night Owl Ltd', country: 'GB', timezone: 'Europe/Paris', phoneE164: '+442079460958', phoneVerified: true,
    settings: { hours: { weekly: { [day]: [{ open: '09:00', close: '17:00' }] }, holidays: [] }, skin: { language: 'en' } },
  });
  await insertDomain(s.c.pool, night.id, 'www.night.test');
  s.c.subscribers.invalidate();
  site = createServer((req, res) => {
    const lang = req.url === '/acme' ? 'fr' : 'en';
    // The night shop runs a strict Content-Security-Policy (no inline styles): the widget must still draw itself.
    const csp = req.url === '/night' ? { 'content-security-policy': `default-src 'self'; script-src ${s.base}; connect-src ${s.base}; style-src 'self'` } : {};
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...csp });
    // Hostile host CSS: the widget must look the same anyway.
    res.end(`<!doctype html><html lang="${lang}"><head><title>Shop</title><style>*{font-size:40px!important;color:red!important} button{display:none!important}</style></head>`
      + `<body><h1>Third-party shop</h1><script src="${s.base}/widget.js" data-subscriber="demo" async></script></body></html>`);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  sitePort = (site.address() as AddressInfo).port;
  browser = await launchChromium(['--host-resolver-rules=MAP *.acme.test 127.0.0.1, MAP *.nobody.test 127.0.0.1, MAP *.night.test 127.0.0.1']);
});
test.after.always(async () => {
  await browser?.close();
  await new Promise((r) => site ? site.close(r) : r(null));
  await s?.close();
});

const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

test('on a registered page the widget appears in the skin, a call-back is requested and followed to "connected"', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const pageUrl = `http://localhost:${sitePort}/shop`;
  await page.goto(pageUrl);
  const fab = page.locator('beckon-widget').getByRole('button', { name: 'Call me back' });
  await fab.waitFor({ timeout: 10000 });
  t.is(await fab.evaluate((el) => getComputedStyle(el).backgroundColor), rgb('#0b5fff'));
  t.is(await fab.evaluate((el) => getComputedStyle(el).color), rgb('#ffffff'));
  t.is(await fab.evaluate((el) => getComputedStyle(el).display), 'flex', 'host page CSS does not reach into the shadow root');
  const box = (await fab.boundingBox())!;
  t.true(box.x > 500, 'bottom-right');

  // Keyboard only: focus the button, open with Enter, the panel traps Tab, Escape closes and returns focus.
  await fab.focus();
  await page.keyboard.press('Enter');
  const dialog = page.locator('beckon-widget').getByRole('dialog');
  await dialog.waitFor();
  const activeId = () => page.evaluate(() => (document.querySelector('beckon-widget')!.shadowRoot!.activeElement as HTMLElement | null)?.id ?? null);
  t.is(await activeId(), 'dept', 'focus starts on the first field');
  for (let i = 0; i < 14; i++) await page.keyboard.press('Tab');
  t.not(await activeId(), null, 'focus stayed inside the panel');
  await page.keyboard.press('Escape');
  t.true(await dialog.isHidden());
  t.true(await fab.evaluate((el) => (el.getRootNode() as ShadowRoot).activeElement === el));

  await fab.click();
  const w = page.locator('beckon-widget');
  await w.getByLabel('Department').selectOption({ label: 'Support' });
  t.is(await w.getByLabel('Country').inputValue(), 'US', 'the subscriber\'s country by default');
  await w.getByLabel('Phone number').fill('202 555 01');
  await w.getByLabel('Phone number').press('Tab');
  t.is(await w.locator('#phone-err').textContent(), 'This number looks too short.');
  await w.getByLabel('Phone number').fill('(202) 555-0141');
  t.is(await w.locator('#phone-err').textContent(), '');
  await w.getByLabel('Your name').fill('Ada Lovelace');
  await w.getByLabel(/I agree to be called/).check();
  mkdirSync('test-artifacts', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/widget-open.png' });

  // Record every progress line the visitor is shown.
  await recordWidgetStatus(page);
  await w.getByRole('button', { name: 'Call me now' }).click();
  await w.getByText('Connected. Enjoy your call!').waitFor({ timeout: 20000 });
  await page.screenshot({ path: 'test-artifacts/widget-connected.png' });
  const seen = await widgetStatusSeen(page);
  t.log(seen.join(' | '));
  t.is(seen[0], 'Your request is in the queue. We will call you in a moment.');
  t.true(seen.includes('Calling you now…') || seen.includes('You answered. Connecting you to Demo Shop…'));
  t.true(seen.indexOf('Connected. Enjoy your call!') > 0);

  const { rows } = await s.c.pool.query(
    `SELECT r.source, r.page_url, r.status, d.name AS department FROM callback_requests r JOIN departments d ON d.id = r.department_id WHERE r.phone_e164 = '+12025550141'`);
  t.is(rows.length, 1);
  t.like(rows[0], { source: 'widget', page_url: pageUrl, department: 'Support' });
  t.true(['dialing', 'connected', 'completed'].includes(rows[0].status));
  // The visitor was rung through the trunk, then the Support line.
  t.is(s.sim.originates().filter((o: any) => o.endpoint === 'PJSIP/12025550141@carrier').length, 1);
  t.true(s.sim.originates().some((o: any) => o.endpoint === 'PJSIP/12025550133@carrier'));
  await page.close();
});

test('a second enterprise\'s page shows that enterprise\'s skin and language, with corrected contrast', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  await page.goto(`http://shop.acme.test:${sitePort}/acme`); // the tag still says data-subscriber="demo"
  const fab = page.locator('beckon-widget').getByRole('button', { name: 'Rappel gratuit' });
  await fab.waitFor({ timeout: 10000 });
  t.is(await page.locator('beckon-widget').getAttribute('data-subscriber'), 'acme');
  t.is(await fab.evaluate((el) => getComputedStyle(el).backgroundColor), rgb('#ffeb3b'));
  t.is(await fab.evaluate((el) => getComputedStyle(el).color), rgb('#000000'));
  t.true((await fab.boundingBox())!.x < 500, 'bottom-left');
  await fab.click();
  const w = page.locator('beckon-widget');
  t.is(await w.getByLabel('Pays').inputValue(), 'FR');
  t.true(await w.getByRole('button', { name: 'Appelez-moi maintenant' }).isVisible());
  t.is(await w.getByLabel('Service').count(), 0, 'no department choice with fewer than two departments');
  await page.screenshot({ path: 'test-artifacts/widget-open-acme.png' });
  await page.close();
});

test('a page on an unregistered host shows nothing and warns once', async (t) => {
  const page = await browser.newPage();
  const warnings: string[] = [];
  page.on('console', (m: ConsoleMessage) => { if (m.type() === 'warning') warnings.push(m.text()); });
  const asked: string[] = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/')) asked.push(r.url()); });
  await page.goto(`http://www.nobody.test:${sitePort}/nobody`);
  await page.waitForFunction(() => (window as any).__beckonWidget === true);
  await page.waitForTimeout(500);
  // It asked the directory (which answers 404 without CORS for an unregistered origin), and nothing else.
  t.is(asked.length, 1);
  t.regex(asked[0]!, /\/api\/v1\/directory\?url=http%3A%2F%2Fwww\.nobody\.test/);
  t.is(await page.locator('beckon-widget').count(), 0);
  t.is(warnings.filter((w) => w.includes('[beckon]')).length, 1);
  await page.close();
});

test('when closed, the time picker offers only open slots in the visitor\'s time zone; a scheduled request can be canceled', async (t) => {
  const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', locale: 'en-US', viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  await page.goto(`http://www.night.test:${sitePort}/night`);
  const w = page.locator('beckon-widget');
  await w.getByRole('button', { name: 'Call me back' }).click();
  t.true(await w.getByText('We are closed right now.', { exact: false }).isVisible());
  t.is(await w.getByRole('button', { name: 'Call me now' }).count(), 0);
  t.is(await w.getByRole('button', { name: 'Call me at this time' }).evaluate((el) => getComputedStyle(el).backgroundColor), rgb('#0b5fff'), 'styled despite the CSP');
  const picker = w.getByLabel('Time (your time zone)');
  await page.waitForFunction(() => document.querySelector('beckon-widget')!.shadowRoot!.querySelectorAll('#slot option[value]:not([value=""])').length > 0);
  const options: { value: string; label: string }[] = await picker.evaluate((el: HTMLSelectElement) => Array.from(el.options).map((o) => ({ value: o.value, label: o.text })));
  t.is(options.length, 16, '09:00-17:00 every 30 minutes, one day');
  for (const o of options) {
    const paris = DateTime.fromISO(o.value, { zone: 'Europe/Paris' });
    t.true(paris.hour >= 9 && paris.hour < 17, o.value);
    t.true(o.label.includes(DateTime.fromISO(o.value, { zone: 'Asia/Tokyo' }).toFormat('hh:mm')), `${o.label} shows Tokyo time of ${o.value}`);
  }
  await picker.selectOption(options[3]!.value);
  await w.getByLabel('Phone number').fill('020 7946 0958');
  await w.getByLabel(/I agree/).check();
  await w.getByRole('button', { name: 'Call me at this time' }).click();
  await w.getByText(/^We will call you on /).waitFor({ timeout: 10000 });
  const { rows } = await s.c.pool.query(`SELECT id, status, scheduled_at, source FROM callback_requests WHERE phone_e164 = '+442079460958'`);
  t.is(rows.length, 1);
  t.like(rows[0], { status: 'scheduled', source: 'widget' });
  t.is(rows[0].scheduled_at.toISOString(), new Date(options[3]!.value).toISOString());
  await w.getByRole('button', { name: 'Cancel this call-back' }).click();
  await w.getByText('Your call-back was canceled.').waitFor({ timeout: 10000 });
  t.is((await s.c.pool.query(`SELECT status FROM callback_requests WHERE id = $1`, [rows[0].id])).rows[0].status, 'canceled');
  await context.close();
});
