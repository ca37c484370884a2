import test from 'ava';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { signUpInBrowser } from '../helpers/portal-login.ts';
import { codeSpokenTo } from '../helpers/portal.ts';
import { startSiteServer, type SiteServer } from '../helpers/site-server.ts';
import { pollUntil } from '../helpers/wait-for.ts';

let s: Stack;
let browser: Browser;
let sites: SiteServer;
test.before(async () => {
  sites = await startSiteServer();
  // Simulated time at 0.2 so the spoken code stays on the line long enough to be read at the sim.
  s = await startStack({ label: 'portalui', timeScale: 0.2, env: sites.env });
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await s?.close(); await sites?.close(); });

test('a business signs up, verifies its phone by the spoken code, adds a domain and a department, styles and copies the widget', async (t) => {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.base });
  const page = await context.newPage();
  mkdirSync('test-artifacts', { recursive: true });

  await signUpInBrowser(page, s.base, {
    business: 'Bakery Brown', email: 'owner@bakery-brown.example', password: 'flour and water and salt', hosts: 'bakery-brown.example',
    country: 'US', phone: '(202) 555-0143', timezone: 'America/Denver',
  });
  t.is(await page.locator('#phone-status').textContent(), 'not verified');

  // Verification: the server rings the phone and says the code; the "owner" types what the phone heard.
  await page.getByRole('button', { name: 'Call me with a code' }).click();
  await page.waitForURL(/\/portal\/verify\//);
  const code = await codeSpokenTo(s.sim, '+12025550143');
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await page.waitForURL(`${s.base}/portal`);
  t.is(await page.locator('#phone-status').textContent(), 'verified');
  t.regex((await page.locator('.flash').textContent())!, /\+12025550143 is verified/);

  await page.getByRole('link', { name: 'Domains' }).click();
  await page.getByLabel('Add a host').fill('*.bakery-brown.example');
  await page.getByRole('button', { name: 'Add' }).click();
  await page.waitForSelector('.flash');
  t.regex((await page.locator('#domains').textContent())!, /\*\.bakery-brown\.example/);
  // Pending until proven: the owner puts the token on the site and presses Verify now.
  const wild = () => page.locator('tr[data-host="*.bakery-brown.example"]');
  t.regex((await wild().textContent())!, /pending/);
  await wild().getByText('Prove it is yours').click();
  const token = (await wild().locator('code.token').textContent())!;
  t.regex(token, /^beckon-verification=[\w-]{24}$/);
  await wild().getByRole('button', { name: 'Verify now' }).click();
  await page.waitForSelector('.error');
  t.regex((await page.locator('.error').first().textContent())!, /answered 404/);
  sites.serve('bakery-brown.example', `${token}\n`);
  await wild().getByText('Prove it is yours').click();
  await wild().getByRole('button', { name: 'Verify now' }).click();
  await page.waitForSelector('.flash');
  t.regex((await page.locator('.flash').textContent())!, /\*\.bakery-brown\.example verified/);
  t.regex((await wild().textContent())!, /verified/);

  await page.getByRole('link', { name: 'Departments' }).click();
  await page.getByLabel('Name', { exact: true }).last().fill('Wedding cakes');
  await page.locator('#dphone').fill('(202) 555-0163');
  await page.getByRole('button', { name: 'Add department' }).click();
  await page.waitForSelector('.flash');
  t.is(await page.locator('.dept').count(), 1);
  t.regex((await page.locator('.dept').textContent())!, /not verified/);

  // Skin: the preview follows the inputs before anything is saved.
  await page.getByRole('link', { name: 'Widget' }).click();
  await page.getByLabel('Button colour').fill('#aa0000');
  await page.getByLabel('Button text').fill('Ring the bakery');
  await page.getByLabel('Position').selectOption('bottom-left');
  // The preview is the real widget in a frame, reloaded with the form's values.
  const fab = page.frameLocator('#preview-frame').locator('beckon-widget').getByRole('button', { name: 'Ring the bakery' });
  await fab.waitFor({ timeout: 10000 });
  // Each input reloads the frame: read it until the reload carrying all three values has settled (a read that
  // meets a reload in progress finds no page to run in and is tried again).
  const readPreview = () => fab.evaluate((el) => ({ bg: getComputedStyle(el).backgroundColor, left: el.getBoundingClientRect().left < window.innerWidth / 2 }))
    .catch(() => null);
  const preview = await pollUntil(readPreview, (v) => v?.bg === 'rgb(170, 0, 0)' && v.left === true, 10000, 100);
  t.deepEqual(preview, { bg: 'rgb(170, 0, 0)', left: true });
  await page.screenshot({ path: 'test-artifacts/portal-widget.png', fullPage: true });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForSelector('.flash');

  await page.locator('#copy-snippet').click();
  await page.waitForFunction(() => document.querySelector('.copied')?.textContent === 'Copied.');
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  t.is(clip, `<script src="${s.base}/widget.js" data-subscriber="bakery-brown" async></script>`);

  const row = (await s.c.pool.query(`SELECT id, slug, phone_verified_at, settings FROM subscribers WHERE email = 'owner@bakery-brown.example'`)).rows[0];
  t.is(row.slug, 'bakery-brown');
  t.truthy(row.phone_verified_at);
  t.like(row.settings.skin, { primaryColor: '#aa0000', buttonText: 'Ring the bakery', position: 'bottom-left' });
  const hosts = (await s.c.pool.query(`SELECT host FROM domains WHERE subscriber_id = $1 ORDER BY host`, [row.id])).rows.map((r) => r.host);
  t.deepEqual(hosts, ['*.bakery-brown.example', 'bakery-brown.example']);
  const deps = (await s.c.pool.query(`SELECT name, phone_e164, phone_verified_at FROM departments WHERE subscriber_id = $1`, [row.id])).rows;
  t.deepEqual(deps, [{ name: 'Wedding cakes', phone_e164: '+12025550163', phone_verified_at: null }]);
  // The directory now serves the new site with the saved skin.
  const dir = await (await fetch(`${s.base}/api/v1/directory?url=${encodeURIComponent('https://shop.bakery-brown.example/')}`)).json() as any;
  t.is(dir.subscriber.slug, 'bakery-brown');
  t.is(dir.skin.buttonText, 'Ring the bakery');
  await context.close();
});
