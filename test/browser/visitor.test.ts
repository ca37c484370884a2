import test from 'ava';
import { mkdirSync } from 'node:fs';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { insertDepartment, insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';

/** What a visitor sees: a per-browser id, only departments that can take a call, a closed business's times. */
let s: Stack;
let browser: Browser;
test.before(async () => {
  // Real per-browser limits: 2 different numbers per browser per hour (every test browser shares IP and User-Agent).
  s = await startStack({ label: 'visitor', env: { RATE_LIMITS_ENABLED: 'true', LIMIT_NUMBERS_PER_VISITOR: '2/3600', LIMIT_PER_IP: '100/600' } });
  browser = await launchChromium();
  mkdirSync('test-artifacts', { recursive: true });
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

async function askWidget(page: Page, phone: string): Promise<Record<string, unknown>> {
  const w = page.locator('beckon-widget');
  const posted = page.waitForRequest((r) => r.url().endsWith('/api/v1/callbacks') && r.method() === 'POST');
  await w.getByLabel('Phone number').fill(phone);
  await w.getByLabel(/I agree to be called/).check();
  await w.getByRole('button', { name: 'Call me now' }).click();
  return JSON.parse((await posted).postData()!);
}

test.serial('the widget keeps one random visitor id per browser and sends it: browsers behind one address are limited apart', async (t) => {
  const one = await browser.newContext({ locale: 'en-US' });
  const page = await one.newPage();
  await page.goto(`${s.base}/`);
  await page.locator('beckon-widget').getByRole('button', { name: 'Call me back' }).click();
  const first = await askWidget(page, '(202) 555-0171');
  t.regex(String(first.visitorId), /^[A-Za-z0-9_-]{22}$/);
  t.is(await page.evaluate(() => localStorage.getItem('beckon:visitor')), first.visitorId as string, 'kept in localStorage');
  await page.locator('beckon-widget').getByText(/Your request is in the queue|Calling you|Connect/).first().waitFor();
  // Another page of the site, same browser: the same id.
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  await page.locator('beckon-widget').getByRole('button', { name: 'Call me back' }).click();
  const second = await askWidget(page, '(202) 555-0172');
  t.is(second.visitorId, first.visitorId);

  // A second browser behind the same IP and User-Agent: its own id, so its first number is not its third.
  const two = await browser.newContext({ locale: 'en-US' });
  const other = await two.newPage();
  await other.goto(`${s.base}/`);
  await other.locator('beckon-widget').getByRole('button', { name: 'Call me back' }).click();
  const answered = other.waitForResponse((r) => r.url().endsWith('/api/v1/callbacks') && r.request().method() === 'POST');
  const third = await askWidget(other, '(202) 555-0173');
  t.not(third.visitorId, first.visitorId);
  t.is((await answered).status(), 202);
  // The first browser's third number is over its own limit.
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  await page.locator('beckon-widget').getByRole('button', { name: 'Call me back' }).click();
  const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/callbacks') && r.request().method() === 'POST');
  await askWidget(page, '(202) 555-0174');
  t.is((await refused).status(), 429);
  await one.close();
  await two.close();
});

test.serial('departments that cannot take a call are offered nowhere; a closed business offers its opening times and its announcement', async (t) => {
  // Open only in two days (Paris time), 09:00-17:00: closed now.
  const day = DateTime.now().setZone('Europe/Paris').plus({ days: 2 }).toFormat('ccc').toLowerCase();
  const shop = await insertSubscriber(s.c.pool, {
    slug: 'closedshop', name: 'Closed Shop', country: 'US', timezone: 'Europe/Paris', phoneE164: '+12025550150', phoneVerified: true,
    settings: { hours: { weekly: { [day]: [{ open: '09:00', close: '17:00' }] }, holidays: [] }, announcement: 'Back on Monday with new stock!' },
  });
  await insertDepartment(s.c.pool, { subscriberId: shop.id, name: 'Sales', phoneE164: '+12025550151', verified: true, position: 1 });
  await insertDepartment(s.c.pool, { subscriberId: shop.id, name: 'Unverified', phoneE164: '+12025550152', verified: false, position: 2 });
  await insertDepartment(s.c.pool, { subscriberId: shop.id, name: 'Desk', phoneE164: null, answeredBy: 'agents', position: 3 });
  s.c.subscribers.invalidate();

  const page = await browser.newPage({ locale: 'en-US', timezoneId: 'America/New_York', viewport: { width: 360, height: 800 } });
  await page.goto(`${s.base}/c/closedshop`);
  t.deepEqual(await page.locator('#department option').allTextContents(), ['Sales'], 'unverified and unstaffed departments are not offered');
  t.regex((await page.locator('#closed-note').textContent())!, /closed right now/);
  t.is(await page.locator('#announcement').textContent(), 'Back on Monday with new stock!');
  const options = await page.locator('select#scheduledAt option').allTextContents();
  t.true(options.length > 3);
  t.regex(options[0]!, /^[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2} at \d{1,2}:\d{2}\s?[AP]M$/, `${options[0]} in the visitor's words`);
  // Paris 09:00 read in New York time: the visitor reads its own time.
  const firstIso = (await page.locator('select#scheduledAt option').first().getAttribute('value'))!;
  t.true(options[0]!.replace(/\s/g, ' ').endsWith(DateTime.fromISO(firstIso).setZone('America/New_York').toFormat('h:mm a')));
  t.is(await page.evaluate(() => document.documentElement.scrollWidth), 360, 'fits a 360 px phone');
  await page.screenshot({ path: 'test-artifacts/hosted-form-closed-360.png', fullPage: true });

  const chosen = await page.locator('select#scheduledAt option').nth(1).getAttribute('value');
  await page.locator('select#scheduledAt').selectOption(chosen!);
  await page.getByLabel('Your phone number').fill('(202) 555-0181');
  await page.getByLabel(/I agree/).check();
  await page.getByRole('button', { name: 'Call me back' }).click();
  await page.waitForURL(/\/c\/closedshop\/status\//);
  t.is(await page.locator('#status').textContent(), 'Scheduled');
  const { rows } = await s.c.pool.query(`SELECT status, scheduled_at FROM callback_requests WHERE phone_e164 = '+12025550181'`);
  t.is(rows[0].status, 'scheduled');
  t.is(rows[0].scheduled_at.toISOString(), chosen);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: 'test-artifacts/hosted-status-scheduled-1280.png', fullPage: true });

  // Nothing can take a call at all: no form.
  const idle = await insertSubscriber(s.c.pool, { slug: 'idleshop', name: 'Idle Shop', country: 'US', timezone: 'UTC', phoneE164: '+12025550160', phoneVerified: false });
  await insertDepartment(s.c.pool, { subscriberId: idle.id, name: 'Desk', phoneE164: null, answeredBy: 'agents' });
  await page.goto(`${s.base}/c/idleshop`);
  t.regex((await page.locator('#not-available').textContent())!, /not available/);
  t.is(await page.locator('form').count(), 0);
  await page.close();
});
