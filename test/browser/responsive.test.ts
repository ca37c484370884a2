import test from 'ava';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { addAgent } from '../helpers/agents.ts';
import { createResetLink } from '../../src/auth/password-reset.service.ts';
import { optOutUrl } from '../../src/policy/policy.routes.ts';
import { policySecret } from '../../src/policy/accept-policy.ts';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';

/**
 * Every page people see fits a 360 px phone and a 1280 px desktop without horizontal scrolling. The pages
 * are found by following the links of each area (public, portal, operator console, agent console) from its
 * start page, so a page added to a navigation is checked without touching this test; pages only reachable
 * through a token (status page, password reset, opt-out link) are given as start pages. Each page is saved
 * as a screenshot in test-artifacts/responsive/.
 */

const ADMIN = { email: 'ops@beckon.example', password: 'operator-password-1' };
const AGENT = { login: 'rita', password: 'correct horse battery' };
const WIDTHS = [360, 1280] as const;
const OUT = 'test-artifacts/responsive';
/** The main screens, copied to SCREENS_DIR when it is set (the README's screenshots: SCREENS_DIR=docs/screens). */
const MAIN_SCREENS = ['public-home', 'public-c_demo', 'public-c_demo_status_id', 'public-demo_phones', 'portal-portal', 'portal-portal_requests', 'portal-portal_requests_id', 'portal-portal_widget', 'admin-admin', 'agent-agent'];
/** Not ours to lay out: Bull Board's React app (checked only for the CSP below), downloads, the widget bundle. */
const SKIP = /^\/(admin\/queues|static\/|widget|api\/|healthz|readyz|metrics)|\.csv$|\/logout$/;

let s: Stack;
let browser: Browser;
let requestIds: { id: string; statusToken: string }[] = [];

test.before(async () => {
  s = await startStack({ label: 'responsive', demoPhones: true, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
  await addAgent(s, { login: AGENT.login, name: 'Rita Responsive', endpoint: 'PJSIP/rita-with-a-rather-long-endpoint-name', password: AGENT.password });
  // Requests with long page addresses, names and messages, ended in different ways: the tables have rows.
  const long = 'http://localhost/products/category/very-long-product-name-that-goes-on-and-on?utm_source=newsletter&utm_campaign=spring-sale-2026';
  for (const [phone, name] of [['+1 202 555 0127', 'Maximilian Alexander Worthington-Smythe'], ['+1 202 555 0120', 'Bo'], ['+1 202 555 0128', 'Ann']] as const) {
    const r = await request(s.base, phone, { name, pageUrl: long, message: 'Please call me about the order I placed yesterday afternoon; the delivery address needs changing.' });
    if (r.status !== 202) throw new Error(`request refused: ${r.text}`);
    requestIds.push(r.json);
  }
  for (const r of requestIds) await waitForStatus(s.base, r, (j) => FINAL.has(j.status) || j.attempts?.length > 0, 20000);
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

/** Runs fn on the page; a page that reloads itself (the status page on a change) is read again once loaded. */
async function settled<T>(page: Page, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try { return await fn(); } catch (err) {
      if (i >= 3 || !/context was destroyed|navigat/i.test(String(err))) throw err;
      await page.waitForLoadState('load');
    }
  }
}

interface Problem { path: string; width: number; scrollWidth: number; culprits: string[] }

const pattern = (path: string) => path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, ':id').replace(/\/\d{4}-\d{2}(?=\/|$)/g, '/:month').replace(/\/\d+(?=\/|$)/g, '/:n');
const fileName = (path: string) => (path.replace(/\?.*$/, '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, 'id').replace(/[\w.-]{24,}/g, 'token').replace(/^\/$/, 'home').replace(/^\//, '').replace(/[^\w-]+/g, '_') || 'home').slice(0, 80);

/** The elements that stick out past the viewport's right edge, deepest first (what to fix). */
async function culprits(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = window.innerWidth;
    const out: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if (r.right <= w + 0.5 || r.width === 0) continue;
      // Inside a scrolling box is fine: the box itself is what must fit.
      let p = el.parentElement; let clipped = false;
      while (p && p !== document.body) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; } p = p.parentElement; }
      if (clipped) continue;
      if (Array.from(el.children).some((c) => c.getBoundingClientRect().right > w + 0.5)) continue;
      out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} (right ${Math.round(r.right)})`);
    }
    return out.slice(0, 5);
  });
}

/** Buttons and button-like links whose text has the very colour of their background (two rules colliding). */
async function unreadableButtons(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('button, .button, summary'))
    .filter((el) => { const st = getComputedStyle(el); return el.getBoundingClientRect().width > 0 && st.backgroundColor !== 'rgba(0, 0, 0, 0)' && st.color === st.backgroundColor; })
    .map((el) => (el.textContent ?? '').trim().slice(0, 40)));
}

/**
 * Visits `seeds` and every same-origin page linked from them (one page per path pattern), at both widths.
 * `allow` says which paths belong to this area; the rest are some other area's to check.
 */
async function checkArea(context: BrowserContext, area: string, seeds: string[], allow: (path: string) => boolean, visited: Map<string, string>): Promise<Problem[]> {
  const page = await context.newPage();
  const cspErrors: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(`${page.url()}: ${m.text()}`); });
  // What a page loads from this server (styles, scripts, icons) is there.
  page.on('response', (r) => { if (r.url().startsWith(s.base) && r.request().resourceType() !== 'document' && r.status() >= 400) cspErrors.push(`${page.url()}: ${r.status()} for ${r.url()}`); });
  const problems: Problem[] = [];
  const queue = [...seeds];
  while (queue.length > 0) {
    const path = queue.shift()!;
    const key = pattern(path.replace(/\?.*$/, ''));
    if (visited.has(key)) continue;
    visited.set(key, area);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 360 ? 740 : 800 });
      const res = await page.goto(s.base + path, { waitUntil: 'load' });
      if (!res || res.status() >= 400) { problems.push({ path, width, scrollWidth: -1, culprits: [`HTTP ${res?.status()}`] }); break; }
      const m = await settled(page, () => page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })));
      if (m.scrollWidth > m.innerWidth) problems.push({ path, width, scrollWidth: m.scrollWidth, culprits: await settled(page, () => culprits(page)) });
      const unreadable = await settled(page, () => unreadableButtons(page));
      if (unreadable.length > 0) problems.push({ path, width, scrollWidth: m.scrollWidth, culprits: unreadable.map((b) => `text the colour of its background: ${b}`) });
      if (process.env.RESPONSIVE_DEBUG) console.error(path, width);
      await settled(page, () => page.screenshot({ path: `${OUT}/${area}-${fileName(path)}-${width}.png`, fullPage: true, timeout: 90_000 }));
    }
    const links = await settled(page, () => page.$$eval('a[href]', (as) => as.map((a) => (a as HTMLAnchorElement).href)));
    for (const href of links) {
      const u = new URL(href);
      if (u.origin !== s.base || SKIP.test(u.pathname)) continue;
      const p = u.pathname + u.search;
      if (allow(u.pathname) && !visited.has(pattern(u.pathname))) queue.push(p);
    }
  }
  await page.close();
  if (cspErrors.length > 0) problems.push({ path: `${area} (CSP)`, width: 0, scrollWidth: 0, culprits: cspErrors });
  return problems;
}

/**
 * Bull Board (a third-party React app, not laid out by us) runs under our CSP with its fonts served from
 * here: no CSP violation, no request to another origin, IBM Plex loaded.
 */
async function checkQueueBoard(context: BrowserContext): Promise<Problem[]> {
  const page = await context.newPage();
  const blocked: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
  page.on('request', (r) => { if (new URL(r.url()).origin !== s.base && !r.url().startsWith('data:')) blocked.push(`request to ${r.url()}`); });
  await page.goto(`${s.base}/admin/queues`, { waitUntil: 'networkidle' });
  await page.waitForSelector('#root header, #root nav, #root main', { timeout: 30_000 });
  const plex = await page.evaluate(async () => { await document.fonts.ready; let loaded = false; document.fonts.forEach((f) => { if (f.family.includes('IBM Plex Sans') && f.status === 'loaded') loaded = true; }); return loaded; });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: `${OUT}/admin-admin_queues-1280.png` });
  await page.close();
  return blocked.length > 0 || !plex ? [{ path: '/admin/queues', width: 0, scrollWidth: 0, culprits: [...blocked, ...(plex ? [] : ['IBM Plex Sans not loaded'])] }] : [];
}

async function login(context: BrowserContext, path: string, fields: Record<string, string>, landed: RegExp): Promise<void> {
  const page = await context.newPage();
  await page.goto(s.base + path);
  for (const [sel, value] of Object.entries(fields)) await page.fill(sel, value);
  await Promise.all([page.waitForURL(landed), page.click('main button[type=submit]')]);
  await page.close();
}

test('every page fits 360 px and 1280 px wide without horizontal scrolling', async (t) => {
  t.timeout(540_000);
  mkdirSync(OUT, { recursive: true });
  const visited = new Map<string, string>();
  const problems: Problem[] = [];
  const { rows: [demo] } = await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`);
  const reset = new URL(await createResetLink(s.c.pool, { subscriberId: demo.id, createdBy: 'test', publicUrl: s.base }));
  const optOut = new URL(optOutUrl(s.base, policySecret(s.c.config), '+12025550123'));
  const statusPage = `/c/demo/status/${requestIds[0]!.id}?token=${encodeURIComponent(requestIds[0]!.statusToken)}`;

  const publicArea = (p: string) => !/^\/(portal|admin|agent)(\/|$)/.test(p) || /^\/(admin|agent)\/login$/.test(p);
  const anon = await browser.newContext();
  const homePage = await anon.newPage();
  await homePage.goto(`${s.base}/`);
  // The demo site's heading names the shop once.
  t.is((await homePage.textContent('main h1'))!.trim(), 'Demo Shop');
  await homePage.close();
  problems.push(...await checkArea(anon, 'public', ['/', '/c/demo', statusPage, '/signup', '/login', reset.pathname, optOut.pathname, '/admin/login', '/agent/login'], publicArea, visited));
  await anon.close();

  const portal = await browser.newContext();
  await login(portal, '/login', { '#email': DEMO_LOGIN.email, '#password': DEMO_LOGIN.password }, /\/portal$/);
  problems.push(...await checkArea(portal, 'portal', ['/portal', '/portal/requests', '/portal/reports', '/portal/usage'], (p) => p.startsWith('/portal'), visited));
  await portal.close();

  const admin = await browser.newContext();
  await login(admin, '/admin/login', { '#email': ADMIN.email, '#password': ADMIN.password }, /\/admin$/);
  problems.push(...await checkArea(admin, 'admin', ['/admin', '/admin/subscribers', `/admin/subscribers/${demo.id}`, '/admin/agents', '/admin/rates', '/admin/calls'], (p) => p.startsWith('/admin') && p !== '/admin/login', visited));
  problems.push(...await checkQueueBoard(admin));
  // The new-agent form's fields are as wide as each other (inputs with no type attribute included).
  const agentsPage = await admin.newPage();
  await agentsPage.setViewportSize({ width: 360, height: 740 });
  await agentsPage.goto(`${s.base}/admin/agents`);
  const widths = await agentsPage.$$eval('form[action="/admin/agents"] input:not([type=hidden]):not([type=checkbox]):not([type=number])', (els) => els.map((e) => `${e.id} ${Math.round(e.getBoundingClientRect().width)}`));
  const full = widths.find((w) => w.startsWith('password '))!.split(' ')[1];
  t.deepEqual(widths, widths.map((w) => `${w.split(' ')[0]} ${full}`));
  await agentsPage.close();
  await admin.close();

  const agent = await browser.newContext();
  await login(agent, '/agent/login', { '#login': AGENT.login, '#password': AGENT.password }, /\/agent$/);
  problems.push(...await checkArea(agent, 'agent', ['/agent'], (p) => p.startsWith('/agent') && p !== '/agent/login', visited));
  await agent.close();

  // The icon browsers ask for on every page, and the one the layout links.
  for (const icon of ['/favicon.ico', '/static/favicon.svg']) {
    const r = await fetch(s.base + icon);
    t.is(r.status, 200, icon);
    t.regex(r.headers.get('content-type') ?? '', /^image\//, icon);
  }
  t.log(`${visited.size} pages checked at ${WIDTHS.join(' and ')} px: ${[...visited.keys()].join(' ')}`);
  // Every area and the pages named in the brief were reached (a broken login would visit nothing).
  for (const p of ['/', '/demo/phones', '/c/demo', '/c/demo/status/:id', '/signup', '/login', '/portal', '/portal/requests', '/admin', '/admin/subscribers', '/admin/subscribers/:id', '/admin/rates', '/admin/calls', '/admin/agents', '/admin/agents/:id', '/agent']) {
    t.true(visited.has(p), `${p} was checked`);
  }
  t.deepEqual(problems, []);
  const screens = process.env.SCREENS_DIR;
  if (screens) {
    mkdirSync(screens, { recursive: true });
    for (const name of MAIN_SCREENS) for (const width of WIDTHS) {
      const file = `${name}-${width}.png`;
      if (existsSync(`${OUT}/${file}`)) copyFileSync(`${OUT}/${file}`, `${screens}/${file.replace(/^(public|portal|admin|agent)-/, '')}`);
    }
  }
});
