import test from 'ava';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { portalPage } from '../helpers/portal-login.ts';

/** The subscriber portal as its owner uses it: one menu everywhere, the request page, the real widget preview, hours. */

let s: Stack;
let browser: Browser;
let created: { id: string; statusToken: string };
const OUT = 'test-artifacts';
const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

test.before(async () => {
  mkdirSync(OUT, { recursive: true });
  s = await startStack({ label: 'portalpages', env: { RATE_LIMITS_ENABLED: 'false' } });
  const r = await request(s.base, '+1 202 555 0141', {
    name: 'Grace Hopper', message: 'About the birthday cake for Saturday.\nPlease call after 5 pm.',
    pageUrl: 'http://localhost/cakes/birthday-cakes-with-a-long-address?utm_source=newsletter&utm_campaign=spring', referrer: 'https://search.example/?q=cake',
  });
  if (r.status !== 202) throw new Error(`refused: ${r.text}`);
  created = r.json;
  await waitForStatus(s.base, created, (st) => FINAL.has(st.status), 20000);
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

const loggedIn = (width: number) => portalPage(browser, s.base, width);

const menu = (page: Page) => page.locator('header nav a').allTextContents();

test('every portal page shows the same navigation, Reports and Usage included, marking the page you are on', async (t) => {
  const page = await loggedIn(1280);
  const expected = await menu(page);
  t.true(expected.includes('Reports') && expected.includes('Usage') && expected.includes('Requests'));
  for (const path of ['/portal/profile', '/portal/domains', '/portal/departments', '/portal/hours', '/portal/messages', '/portal/widget',
    '/portal/requests', `/portal/requests/${created.id}`, '/portal/reports', '/portal/usage']) {
    await page.goto(s.base + path);
    t.deepEqual(await menu(page), expected, path);
    const current = await page.locator('header nav a[aria-current="page"]').getAttribute('href');
    t.is(current, path.startsWith('/portal/requests/') ? '/portal/requests' : path, path);
    t.is(await page.locator('header nav form[action="/logout"]').count(), 1, path);
  }
  await page.close();
});

test('the request list links to the request page, which shows the message and the call', async (t) => {
  for (const width of [1280, 360]) {
    const page = await loggedIn(width);
    await page.goto(`${s.base}/portal/requests`);
    // the Page column keeps a readable width instead of one character per line
    t.true((await page.locator('td.url').first().boundingBox())!.width >= 150, `page column at ${width}`);
    await page.screenshot({ path: `${OUT}/portal-requests-${width}.png`, fullPage: true });
    await page.getByRole('link', { name: 'Grace Hopper' }).click();
    await page.waitForURL(`${s.base}/portal/requests/${created.id}`);
    t.is(await page.locator('#visitor-message').innerText(), 'About the birthday cake for Saturday.\nPlease call after 5 pm.');
    t.regex(await page.locator('#visitor-page').innerText(), /birthday-cakes-with-a-long-address/);
    t.is(await page.locator('#visitor-referrer').innerText(), 'https://search.example/?q=cake');
    t.regex(await page.locator('.attempt h3').first().innerText(), /Attempt 1: answered/);
    t.is(await page.locator('#records tbody tr').count(), 2, 'visitor and callee legs');
    t.false(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth), `no sideways scrolling at ${width}`);
    await page.screenshot({ path: `${OUT}/portal-request-${width}.png`, fullPage: true });
    await page.close();
  }
});

test('the widget preview is the real widget: same bundle, contrast fixed, language, panel open, nothing sent', async (t) => {
  const page = await loggedIn(1280);
  await page.goto(`${s.base}/portal/widget`);
  // pale yellow with white text: unreadable as chosen, so the real widget switches the text to black
  await page.getByLabel('Button colour').fill('#ffff99');
  await page.getByLabel('Text colour').fill('#ffffff');
  await page.getByLabel('Button text').fill('Rückruf, bitte');
  await page.getByLabel('Language').selectOption('de');
  await page.getByLabel('Position').selectOption('bottom-left');
  const frame = page.frameLocator('#preview-frame');
  const fab = frame.locator('beckon-widget').getByRole('button', { name: 'Rückruf, bitte' });
  await fab.waitFor({ timeout: 10000 });
  t.is(await fab.evaluate((el) => getComputedStyle(el).backgroundColor), rgb('#ffff99'));
  t.is(await fab.evaluate((el) => getComputedStyle(el).color), rgb('#000000'), 'the contrast fix of the real widget');
  const w = frame.locator('beckon-widget');
  const dialog = w.getByRole('dialog');
  t.true(await dialog.isVisible(), 'the panel is shown');
  t.is(await w.locator('#bk-title').innerText(), 'Wir rufen Sie zurück');
  t.is(await w.getByRole('button', { name: 'Rufen Sie mich jetzt an' }).evaluate((el) => getComputedStyle(el).color), rgb('#000000'));
  // the country select shows whole names
  const country = w.locator('#country');
  const widths = await country.evaluate((el) => ({ select: el.getBoundingClientRect().width, phone: el.getRootNode() instanceof ShadowRoot ? (el.getRootNode() as ShadowRoot).getElementById('phone')!.getBoundingClientRect().width : 0 }));
  t.is(widths.select, widths.phone, 'country as wide as the number field');
  // same bundle the loader gives every site
  const loader = await (await fetch(`${s.base}/widget.js`)).text();
  const bundle = /widget\/(widget-[0-9a-f]{16}\.js)/.exec(loader)![1]!;
  const scripts = await page.frame({ url: /\/portal\/widget\/preview/ })!.evaluate(() => Array.from(document.scripts, (x) => x.src));
  t.true(scripts.some((src) => src.endsWith(`/widget/${bundle}`)), scripts.join(' '));
  await page.screenshot({ path: `${OUT}/portal-widget-1280.png`, fullPage: true });
  // the preview sends nothing
  const before = (await s.c.pool.query(`SELECT count(*)::int AS n FROM callback_requests`)).rows[0].n;
  await w.locator('#phone').fill('202 555 0142');
  await w.locator('#consent').check();
  await w.getByRole('button', { name: 'Rufen Sie mich jetzt an' }).click();
  await w.getByText('Preview: nothing is sent.').waitFor();
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM callback_requests`)).rows[0].n, before);
  // saving keeps what was previewed
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForSelector('.flash');
  const { rows: [row] } = await s.c.pool.query(`SELECT settings FROM subscribers WHERE slug = 'demo'`);
  t.like(row.settings.skin, { primaryColor: '#ffff99', textColor: '#ffffff', language: 'de', position: 'bottom-left', buttonText: 'Rückruf, bitte' });
  await page.close();

  const phone = await loggedIn(360);
  await phone.goto(`${s.base}/portal/widget`);
  await phone.frameLocator('#preview-frame').locator('beckon-widget').getByRole('dialog').waitFor();
  t.false(await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth), 'no sideways scrolling at 360');
  await phone.screenshot({ path: `${OUT}/portal-widget-360.png`, fullPage: true });
  await phone.close();
});

test('business hours are time inputs per day; midnight closing round-trips', async (t) => {
  const page = await loggedIn(1280);
  await page.goto(`${s.base}/portal/hours`);
  t.is(await page.locator('table.hours input').count(), 28);
  t.deepEqual([...new Set(await page.locator('table.hours input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).type)))], ['time']);
  await page.getByLabel('Monday opens', { exact: true }).fill('08:30');
  await page.getByLabel('Monday closes', { exact: true }).fill('00:00');
  await page.getByLabel('Saturday opens', { exact: true }).fill('10:00');
  await page.getByLabel('Saturday closes', { exact: true }).fill('14:00');
  await page.getByRole('button', { name: 'Save hours' }).click();
  await page.waitForSelector('.flash');
  const { rows: [row] } = await s.c.pool.query(`SELECT settings FROM subscribers WHERE slug = 'demo'`);
  t.deepEqual(row.settings.hours.weekly.mon, [{ open: '08:30', close: '24:00' }]);
  t.deepEqual(row.settings.hours.weekly.sat, [{ open: '10:00', close: '14:00' }]);
  t.is(await page.getByLabel('Monday closes', { exact: true }).inputValue(), '00:00');
  t.is(await page.getByLabel('Monday opens', { exact: true }).inputValue(), '08:30');
  await page.screenshot({ path: `${OUT}/portal-hours-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 360, height: 900 });
  await page.screenshot({ path: `${OUT}/portal-hours-360.png`, fullPage: true });
  await page.close();
});
