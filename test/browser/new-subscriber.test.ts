import test from 'ava';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { recordWidgetStatus, widgetStatusSeen } from '../helpers/widget-page.ts';
import { signUpInBrowser } from '../helpers/portal-login.ts';

// A new subscriber goes live in the demo without a site of its own: sign up, ask for the code, read it on the demo
// phone page (the simulator stands in for the phone), type it, open the portal preview and request a call-back
// through its real widget, followed to "connected". Screenshots at 360 and 1280 px in test-artifacts/.

let s: Stack;
let browser: Browser;
test.before(async () => {
  // Scaled phones (answer after 200 ms, the code read at 1/5 of its length), demo phone page on.
  s = await startStack({ label: 'newsub', timeScale: 0.2, demoPhones: true, env: { MAX_CALL_SEC: '30' } });
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

async function fitsWidth(page: Page, width: number): Promise<number> {
  await page.setViewportSize({ width, height: 800 });
  return page.evaluate(() => document.documentElement.scrollWidth);
}

test('sign up, read the code on the demo phones, verify, preview the widget and get called back through it', async (t) => {
  mkdirSync('test-artifacts', { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();

  await signUpInBrowser(page, s.base, {
    business: 'Corner Florist', email: 'owner@corner-florist.example', password: 'roses are red and violets', hosts: 'corner-florist.example',
    country: 'US', phone: '(202) 555-0145', timezone: 'America/Chicago',
  });
  t.true(await page.locator('.demo-banner').getByRole('link', { name: 'See the demo phones' }).isVisible(), 'the demo banner links to the phones');

  await page.getByRole('button', { name: 'Call me with a code' }).click();
  await page.waitForURL(/\/portal\/verify\//);
  const verifyUrl = page.url();
  const hint = page.locator('#demo-phones-hint').getByRole('link', { name: 'Open the demo phones' });
  t.true(await hint.isVisible());

  // The demo phones open in their own tab, as the link does; the list refreshes itself until the code is read.
  const [phones] = await Promise.all([context.waitForEvent('page'), hint.click()]);
  await phones.waitForLoadState();
  t.is(phones.url(), `${s.base}/demo/phones`);
  const call = phones.locator('article.phone-call').filter({ has: phones.locator('h2.phone-who', { hasText: '+12025550145' }) }).first();
  await call.locator('.heard-digits').nth(1).waitFor({ timeout: 15000 });
  const digits = await call.locator('.heard-digits').allTextContents();
  t.is(digits.length, 2);
  t.regex(digits[0]!, /^\d{6}$/);
  t.is(digits[0], digits[1], 'the code is read out twice');
  t.regex((await call.textContent())!, /Called .* by "Beckon" <0000>/);
  await phones.screenshot({ path: 'test-artifacts/demo-phones-1280.png', fullPage: true });
  t.true((await fitsWidth(phones, 360)) <= 360, 'the phone page fits 360 px');
  await phones.screenshot({ path: 'test-artifacts/demo-phones-360.png', fullPage: true });

  await page.bringToFront();
  t.is(page.url(), verifyUrl);
  await page.getByLabel('Code').fill(digits[0]!);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await page.waitForURL(`${s.base}/portal`);
  t.is(await page.locator('#phone-status').textContent(), 'verified');

  // The preview: the real widget, answering for this subscriber although the demo owns Beckon's host.
  await page.getByRole('link', { name: 'Preview' }).first().click();
  await page.waitForURL(/\/portal\/preview\/[a-z0-9-]+$/);
  const slug = page.url().split('/').pop()!;
  const w = page.locator('beckon-widget');
  const fab = w.getByRole('button', { name: 'Call me back' });
  await fab.waitFor({ timeout: 10000 });
  t.is(await w.getAttribute('data-subscriber'), slug);
  await page.screenshot({ path: 'test-artifacts/portal-preview-1280.png' });
  await fab.click();
  await w.getByLabel('Phone number').fill('(202) 555-0104');
  await w.getByLabel('Your name').fill('Preview Visitor');
  await w.getByLabel(/I agree to be called/).check();
  t.true((await fitsWidth(page, 360)) <= 360, 'the preview with the open widget fits 360 px');
  await page.screenshot({ path: 'test-artifacts/portal-preview-360.png' });
  await page.setViewportSize({ width: 1280, height: 800 });

  await recordWidgetStatus(page);
  await w.getByRole('button', { name: 'Call me now' }).click();
  await w.getByText(/^Connected/).waitFor({ timeout: 20000 });
  await page.screenshot({ path: 'test-artifacts/portal-preview-connected-1280.png' });
  const seen = await widgetStatusSeen(page);
  t.log(seen.join(' | '));
  t.true(seen.length >= 2, 'the widget showed the request progressing');
  t.regex(seen[0]!, /queue/i);

  const { rows } = await s.c.pool.query(
    `SELECT r.source, r.page_url, r.status, s.slug FROM callback_requests r JOIN subscribers s ON s.id = r.subscriber_id WHERE r.phone_e164 = '+12025550104'`);
  t.is(rows.length, 1);
  t.like(rows[0], { source: 'widget', page_url: `${s.base}/portal/preview/${slug}`, slug });
  t.true(['connected', 'completed'].includes(rows[0].status));
  // The visitor's phone, then the new subscriber's own phone, were rung.
  t.true(s.sim.originates().some((o) => o.number === '12025550104'));
  t.true(s.sim.originates().some((o) => o.number === '12025550145' && !o.channelId.startsWith('bkver-')));

  // The demo phones show the visitor's call too, with the prompt it heard and the 1 it pressed.
  await phones.reload();
  const visitor = phones.locator('article.phone-call').filter({ has: phones.locator('h2.phone-who', { hasText: '+12025550104' }) }).first();
  await visitor.waitFor();
  const heard = (await visitor.textContent())!;
  t.regex(heard, /Keys pressed: 1/);
  t.regex(heard, /Heard: \(hello-world\)/);
  await context.close();
});
