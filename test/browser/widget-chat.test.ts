import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { portalPage } from '../helpers/portal-login.ts';
import { addAgent } from '../helpers/agents.ts';
import { AGENT_PASSWORD, openAgentConsole, setAvailable } from '../helpers/agent-console.ts';
import { until } from '../helpers/wait-for.ts';

/*
 * "Message us" in the widget on a page of a registered domain (the demo subscriber's http://localhost:<p>): the
 * chat chunk is fetched on press only, an agent in the console (another page) answers, messages go both ways, and
 * the agent's "Invite to a web call" gives the visitor a Call now that connects (chromium with fake media).
 */
let s: Stack;
let browser: Browser;
let site: Server;
let sitePort = 0;
const SHOTS = 'test-results/widget-chat';

test.before(async () => {
  s = await startStack({
    label: 'widgetchat', timeScale: 1,
    env: { WEBCALL_ENABLED: 'true', RATE_LIMITS_ENABLED: 'false', CHAT_ANSWER_TIMEOUT_SEC: '600', MAX_CALL_SEC: '60', RING_TIMEOUT: '8' },
  });
  await addAgent(s, { login: 'wendy', name: 'Wendy Agent', password: AGENT_PASSWORD });
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
const lines = (page: Page, cls: string) => page.evaluate((c) =>
  Array.from(document.querySelector('beckon-widget')!.shadowRoot!.querySelectorAll(`.bkm-log li.${c}`)).map((li) => li.textContent ?? ''), cls);
const phase = (page: Page) => page.evaluate(() => document.querySelector('beckon-widget')!.shadowRoot!.querySelector('.bkc')?.getAttribute('data-phase') ?? null);

/** The widget on the shop's page, opened, with "Message us" pressed; `chunks` lists the chat chunk's fetches. */
async function openChat(width: number, name?: string): Promise<{ page: Page; chunks: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  const chunks: string[] = [];
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { if (/\/widget\/chat-[0-9a-f]{16}\.js$/.test(r.url())) chunks.push(r.url()); });
  await page.goto(`http://localhost:${sitePort}/shop?from=ad`);
  await widget(page).locator('.fab').click({ timeout: 10_000 });
  await widget(page).getByRole('dialog').waitFor();
  if (name) await widget(page).locator('#name').fill(name);
  await page.waitForTimeout(200);
  t0Chunks = chunks.length;
  await widget(page).getByRole('button', { name: 'Message us' }).click();
  await widget(page).locator('#bkm-text').waitFor();
  return { page, chunks, errors };
}
let t0Chunks = 0;

test.serial('1280 px: Message us, an agent answers, messages both ways; Invite to a web call gives Call now, which connects', async (t) => {
  const agentErrors: string[] = [];
  const agent = await openAgentConsole(browser, s.base, 'wendy', agentErrors);
  await setAvailable(agent);

  const { page, chunks, errors } = await openChat(1280, 'Wanda Widget');
  t.is(t0Chunks, 0, 'the chat chunk is not part of the first load');
  t.is(chunks.length, 1, 'fetched on press');
  t.true(await widget(page).locator('#bkm-text').evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement), 'focus in the message box');
  await widget(page).locator('#bkm-text').fill('Do you ship <b>abroad</b>?');
  await page.keyboard.press('Enter');
  await until(async () => (await lines(page, 'visitor')).length === 1, 10_000);

  const item = agent.locator('#chat-list button', { hasText: 'Wanda Widget' });
  await item.waitFor({ timeout: 10_000 });
  await item.click();
  await agent.waitForSelector('#chat-messages li.visitor');
  t.is(await agent.textContent('#chat-page'), `http://localhost:${sitePort}/shop?from=ad`, 'the page the visitor wrote from');
  t.true((await agent.textContent('#chat-messages li.visitor'))!.includes('Do you ship <b>abroad</b>?'), 'text, never markup');

  await agent.fill('#chat-reply-body', 'Yes, to all of Europe.');
  await agent.click('#chat-send');
  await until(async () => (await lines(page, 'team')).some((l) => l.includes('to all of Europe')), 10_000);
  t.true((await lines(page, 'team')).some((l) => l.startsWith('Wendy Agent')), 'the agent is named');
  t.is(await widget(page).locator('.bkm-log b').count(), 0);

  await widget(page).locator('#bkm-text').fill('Great, thanks');
  await widget(page).getByRole('button', { name: 'Send' }).click();
  await agent.waitForFunction(() => Array.from(document.querySelectorAll('#chat-messages li.visitor')).some((li) => li.textContent!.includes('Great, thanks')), undefined, { timeout: 10_000 });
  t.is((await lines(page, 'visitor')).length, 2, 'each message once (the POST answer and the stream carry the same one)');
  await page.screenshot({ path: `${SHOTS}/widget-chat-1280.png` });

  // The agent invites to a web call: the visitor's chat offers Call now, which starts the usual web call.
  const invite = agent.getByRole('button', { name: 'Invite to a web call' });
  t.true(await invite.isVisible(), 'offered: web calls are on');
  await invite.click();
  const callNow = widget(page).getByRole('button', { name: 'Call now', exact: true });
  await callNow.waitFor({ timeout: 10_000 });
  await agent.screenshot({ path: `${SHOTS}/agent-console-invited.png`, fullPage: true });
  await callNow.click();
  await until(async () => { const p = await phase(page); return p === 'connected' || p === 'ended'; }, 30_000);
  t.is(await phase(page), 'connected', (await widget(page).locator('.bkc-status').textContent()) ?? '');
  await page.screenshot({ path: `${SHOTS}/widget-chat-call-1280.png` });
  const { rows } = await s.c.pool.query<{ department_id: string | null }>(
    "SELECT department_id FROM callback_requests WHERE kind = 'webcall' ORDER BY created_at DESC LIMIT 1");
  const conv = await s.c.pool.query<{ department_id: string | null }>("SELECT department_id FROM chat_conversations WHERE visitor_name = 'Wanda Widget'");
  t.is(rows[0]?.department_id ?? null, conv.rows[0]?.department_id ?? null, 'the web call goes to the chat\'s department');
  await widget(page).getByRole('button', { name: 'Hang up' }).click();
  await until(async () => (await phase(page)) === 'ended', 10_000);
  t.deepEqual(errors, []);
  t.deepEqual(agentErrors, []);
  await page.close();
  await agent.close();
});

test.serial('360 px: the chat fits the phone; a reload resumes it; a call-back of the visit links the conversation', async (t) => {
  const { page, errors } = await openChat(360);
  await widget(page).locator('#bkm-text').fill('Hello from a phone');
  await widget(page).getByRole('button', { name: 'Send' }).click();
  await until(async () => (await lines(page, 'visitor')).length === 1, 10_000);
  for (const sel of ['.bkm-log', '#bkm-text', '.bkm-send']) {
    const box = (await widget(page).locator(sel).boundingBox())!;
    t.true(box.x >= 0 && box.x + box.width <= 360, `${sel} fits: ${JSON.stringify(box)}`);
  }
  t.is(await widget(page).locator('.bkm-log').getAttribute('role'), 'log');
  await page.screenshot({ path: `${SHOTS}/widget-chat-360.png` });
  // Another page of the site: Message us resumes the same conversation with its messages.
  await page.goto(`http://localhost:${sitePort}/other`);
  await widget(page).locator('.fab').click({ timeout: 10_000 });
  await widget(page).getByRole('button', { name: 'Message us' }).click();
  await until(async () => (await lines(page, 'visitor')).length === 1, 10_000);
  t.deepEqual(errors, []);
  await page.close();

  // A visitor who asked for a call-back from the widget in this visit: the conversation is linked to it.
  const v = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await v.goto(`http://localhost:${sitePort}/shop`);
  await widget(v).locator('.fab').click({ timeout: 10_000 });
  await widget(v).locator('#phone').fill('2025550177');
  await widget(v).locator('#consent').check();
  await widget(v).locator('button[type=submit]').click();
  await widget(v).locator('.progress:not([hidden])').waitFor({ timeout: 10_000 });
  await widget(v).getByRole('button', { name: 'Message us' }).click();
  await widget(v).locator('#bkm-text').fill('About my call-back');
  await widget(v).getByRole('button', { name: 'Send' }).click();
  const linked = await until(async () => (await s.c.pool.query<{ request_id: string | null }>(
    "SELECT c.request_id FROM chat_conversations c JOIN chat_messages m ON m.conversation_id = c.id WHERE m.body = 'About my call-back'")).rows[0]?.request_id, 10_000);
  const req = await s.c.pool.query<{ id: string }>("SELECT id FROM callback_requests WHERE phone_e164 LIKE '%2025550177' ORDER BY created_at DESC LIMIT 1");
  t.is(linked, req.rows[0]?.id);
  await v.close();
});

test.serial('the hosted chat page: an invitation to a web call offers Call now there too, under its own CSP', async (t) => {
  const agentErrors: string[] = [];
  const agent = await openAgentConsole(browser, s.base, 'wendy', agentErrors);
  const visitor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  visitor.on('pageerror', (e) => errors.push(e.message));
  const answer = await visitor.goto(`${s.base}/c/demo/chat`);
  t.true(answer!.headers()['content-security-policy']!.includes(`connect-src 'self' ${new URL(s.config.WEBCALL_WS_URL).origin}`));
  await visitor.fill('#chat-name', 'Hana Hosted');
  await visitor.fill('#chat-first', 'Can we talk?');
  await visitor.click('#chat-start-button');
  await visitor.waitForSelector('#chat-messages li.visitor');
  t.true(await visitor.locator('#chat-webcall').isHidden(), 'no Call now before the invitation');

  const item = agent.locator('#chat-list button', { hasText: 'Hana Hosted' });
  await item.waitFor({ timeout: 10_000 });
  await item.click();
  await agent.waitForSelector('#chat-messages li.visitor');
  await agent.getByRole('button', { name: 'Invite to a web call' }).click();
  const callNow = visitor.getByRole('button', { name: 'Call now', exact: true });
  await callNow.waitFor({ timeout: 10_000 });
  await callNow.click();
  const phase = () => visitor.evaluate(() => document.querySelector('.bkc')?.getAttribute('data-phase') ?? null);
  await until(async () => { const p = await phase(); return p === 'connected' || p === 'ended'; }, 30_000);
  t.is(await phase(), 'connected', (await visitor.locator('.bkc-status').textContent()) ?? '');
  await visitor.screenshot({ path: `${SHOTS}/hosted-chat-call-1280.png`, fullPage: true });
  await visitor.getByRole('button', { name: 'Hang up' }).click();
  await until(async () => (await phase()) === 'ended', 10_000);
  // The owner's inbox offers the same action.
  const owner = await portalPage(browser, s.base, 1280);
  await owner.goto(`${s.base}/portal/inbox`);
  await owner.locator('#chat-list button', { hasText: 'Hana Hosted' }).click({ timeout: 10_000 });
  await owner.waitForSelector('#chat-messages li.visitor');
  t.true(await owner.getByRole('button', { name: 'Invite to a web call' }).isVisible());
  await owner.close();
  t.deepEqual(errors, []);
  t.deepEqual(agentErrors, []);
  await visitor.close();
  await agent.close();
});

test.serial('the widget\'s chat endpoints answer a registered site only, and start chats only for that site\'s subscriber', async (t) => {
  const post = (origin: string, body: Record<string, unknown>) => fetch(`${s.base}/api/v1/chat/start`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(body),
  });
  const token = ((await (await fetch(`${s.base}/api/v1/form-token?subscriber=demo`)).json()) as { token: string }).token;
  const foreign = await post('https://elsewhere.example', { subscriber: 'demo', formToken: token, body: 'hi' });
  t.is(foreign.status, 403, 'an unregistered site may not write to demo\'s service center');
  const own = await post(`http://localhost:${sitePort}`, { subscriber: 'demo', formToken: token, body: 'hi' });
  t.is(own.status, 201);
  t.is(own.headers.get('access-control-allow-origin'), `http://localhost:${sitePort}`);
});
