import test from 'ava';
import { mkdirSync } from 'node:fs';
import { startStack, API_AUTH, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import type { Browser } from 'playwright-core';

let s: Stack;
let browser: Browser;
test.before(async () => {
  s = await startStack({ label: 'hostedform', env: { MAX_CALL_SEC: '5' } });
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

test('a visitor uses the demo page and hosted form, and watches the call end on the status page', async (t) => {
  // A visitor in Tokyo: the status page's times are in the visitor's zone, whatever the server's.
  const page = await browser.newPage({ locale: 'en-US', timezoneId: 'Asia/Tokyo' });
  await page.goto(`${s.base}/`);
  await page.getByRole('link', { name: 'Ask for a call-back' }).click();
  await page.waitForURL(/\/c\/demo/);
  t.is(await page.locator('h1').textContent(), 'Demo Shop');
  // Bad number first: the form comes back with the message next to the field.
  await page.getByLabel('Your phone number').fill('12');
  await page.getByLabel(/I agree/).check();
  await page.getByRole('button', { name: 'Call me back' }).click();
  await page.waitForSelector('#phone-error');
  t.regex((await page.locator('#phone-error').textContent())!, /too short/);
  await page.getByLabel('Your phone number').fill('(202) 555-0184');
  await page.getByLabel('Who should call you?').selectOption({ label: 'Support' });
  await page.getByLabel(/Your name/).fill('Ada');
  await page.getByLabel(/I agree/).check();
  await page.getByRole('button', { name: 'Call me back' }).click();
  await page.waitForURL(/\/c\/demo\/status\//);
  // The page redraws itself from every event of the status stream, through each stage, until the call has ended.
  await page.evaluate(() => {
    const seen: string[] = ((window as any).__stages = [document.getElementById('status-card')!.dataset.stage!]);
    new MutationObserver(() => { const s = document.getElementById('status-card')!.dataset.stage!; if (seen[seen.length - 1] !== s) seen.push(s); })
      .observe(document.getElementById('status-card')!, { attributes: true, attributeFilter: ['data-stage'] });
  });
  await page.waitForFunction(() => document.getElementById('status-card')?.dataset.stage === 'completed', undefined, { timeout: 30000 });
  const stages: string[] = await page.evaluate(() => (window as any).__stages);
  t.log(stages.join(' → '));
  t.true(stages.indexOf('connected') > 0, 'the page showed the visitor connected while bridged');
  t.true(stages.indexOf('connected') > Math.max(stages.indexOf('calling'), stages.indexOf('connecting')));
  t.is(await page.locator('#status').textContent(), 'Completed');
  t.regex((await page.locator('#attempts tbody').textContent())!, /Answered/);
  // Times in the visitor's zone, in words: never a raw ISO string.
  const started = (await page.locator('#attempts tbody time').first().textContent())!;
  const { rows: [first] } = await s.c.pool.query(`SELECT a.started_at FROM call_attempts a JOIN callback_requests r ON r.id = a.request_id WHERE r.phone_e164 = '+12025550184' ORDER BY a.n LIMIT 1`);
  const tokyo = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo', hour: 'numeric', minute: '2-digit' }).format(first.started_at);
  t.regex(started, /^(today|yesterday) at /);
  t.true(started.endsWith(tokyo), `${started} is ${tokyo} in Tokyo`);
  t.notRegex((await page.locator('#status-card').textContent())!, /\d{4}-\d{2}-\d{2}T/);
  mkdirSync('test-artifacts', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/hosted-status.png', fullPage: true });
  const { rows } = await s.c.pool.query(`SELECT r.status, r.page_url, d.name AS department FROM callback_requests r JOIN departments d ON d.id = r.department_id WHERE r.phone_e164 = '+12025550184'`);
  t.deepEqual(rows, [{ status: 'completed', page_url: `${s.base}/`, department: 'Support' }]);
  // The Support department's phone was the one rung.
  t.true(s.sim.originates().some((o: any) => o.endpoint === 'PJSIP/12025550133@carrier'));
});

test('a visitor cancels a scheduled call-back from the status page', async (t) => {
  const r = await fetch(`${s.base}/api/v1/callbacks`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...API_AUTH },
    body: JSON.stringify({ subscriber: 'demo', phone: '+1 202 555 0185', consent: true, scheduledAt: new Date(Date.now() + 3600e3).toISOString() }),
  });
  const created = await r.json();
  t.is(created.status, 'scheduled');
  const page = await browser.newPage({ locale: 'en-US' });
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${s.base}/c/demo/status/${created.id}?token=${encodeURIComponent(created.statusToken)}`);
  t.is(await page.locator('#status').textContent(), 'Scheduled');
  t.regex((await page.locator('#scheduled-at').textContent())!, /^(today|tomorrow) at \d{1,2}:\d{2}\s?[AP]M$/);
  await page.getByRole('button', { name: 'Cancel this call-back' }).click();
  await page.waitForFunction(() => document.getElementById('status-card')?.dataset.stage === 'canceled');
  t.is(await page.locator('#status').textContent(), 'Canceled');
  const { rows } = await s.c.pool.query('SELECT status FROM callback_requests WHERE id = $1', [created.id]);
  t.is(rows[0].status, 'canceled');
  t.is(s.sim.originates().filter((o: any) => o.endpoint === 'PJSIP/12025550185@carrier').length, 0);
});
