import { mkdirSync } from 'node:fs';
import test from 'ava';
import type { Browser } from 'playwright-core';
import { startStack, request, type Stack } from '../helpers/stack.ts';
import { portalPage } from '../helpers/portal-login.ts';
import { launchChromium } from '../helpers/browser.ts';
import { addAgent } from '../helpers/agents.ts';
import { AGENT_PASSWORD, openAgentConsole, setAvailable } from '../helpers/agent-console.ts';
import { createContainer, type Container } from '../../src/main/container.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWeb, type WebHandle } from '../../src/main/web.ts';
import { until } from '../helpers/wait-for.ts';

/*
 * A visitor on the hosted chat page served by one web process, an agent in the console served by another: the
 * conversation is offered to the agent, messages go both ways as they are sent, and the agent turns the chat into
 * a call-back that the worker rings through the simulator.
 */
let s: Stack;
let c2: Container;
let web2: WebHandle;
let base2: string;
let browser: Browser;
const OUT = 'test-artifacts';

test.before(async () => {
  s = await startStack({ label: 'chatbrowser', timeScale: 0.2, env: { MAX_CALL_SEC: '5', CHAT_ANSWER_TIMEOUT_SEC: '600' } });
  c2 = createContainer(loadConfig(s.env), { log: createLogger('silent') });
  web2 = await startWeb(c2, {}, 0);
  base2 = `http://127.0.0.1:${web2.port}`;
  await addAgent(s, { login: 'carol', name: 'Carol Agent', password: AGENT_PASSWORD });
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
});
test.after.always(async () => {
  await browser?.close();
  await web2?.stop().catch(() => {});
  await c2?.close().catch(() => {});
  await s?.close();
});

test.serial('visitor and agent chat through two web processes; the agent turns the chat into a call-back that rings', async (t) => {
  const errors: string[] = [];
  const agent = await openAgentConsole(browser, s.base, 'carol', errors);
  await setAvailable(agent);

  const visitor = await browser.newPage();
  visitor.on('pageerror', (e) => errors.push(e.message));
  await visitor.goto(`${base2}/c/demo/chat?pageUrl=${encodeURIComponent('https://shop.example/pricing')}`);
  await visitor.fill('#chat-name', 'Vera Visitor');
  await visitor.fill('#chat-first', 'Hello, is the <b>pro</b> plan monthly?');
  await visitor.click('#chat-start-button');
  await visitor.waitForSelector('#chat-live:not([hidden])');
  await visitor.waitForSelector('#chat-messages li.visitor');

  // Offered to the available agent: the console's list shows it without a reload.
  const item = agent.locator('#chat-list button', { hasText: 'Vera Visitor' });
  await item.waitFor({ timeout: 10_000 });
  await item.click();
  await agent.waitForSelector('#chat-messages li.visitor');
  t.is(await agent.textContent('#chat-page'), 'https://shop.example/pricing');
  // The visitor's words are text, never markup.
  t.true((await agent.textContent('#chat-messages li.visitor'))!.includes('Hello, is the <b>pro</b> plan monthly?'));
  t.is(await agent.locator('#chat-messages b').count(), 0);

  await agent.fill('#chat-reply-body', 'Yes, monthly or yearly. Shall we call you?');
  await agent.click('#chat-send');
  await visitor.waitForFunction(() => Array.from(document.querySelectorAll('#chat-messages li.agent')).some((li) => li.textContent!.includes('Shall we call you?')), undefined, { timeout: 10_000 });
  t.regex((await visitor.textContent('#chat-messages li.agent'))!, /Carol Agent/);

  await visitor.fill('#chat-body', 'Please call me at +1 202 555 0166');
  await visitor.click('#chat-send');
  await agent.waitForFunction(() => Array.from(document.querySelectorAll('#chat-messages li.visitor')).some((li) => li.textContent!.includes('0166')), undefined, { timeout: 10_000 });

  await visitor.screenshot({ path: `${OUT}/chat-visitor-1280.png`, fullPage: true });
  await agent.screenshot({ path: `${OUT}/chat-agent-console.png`, fullPage: true });
  await agent.click('#chat-callback-open');
  await agent.fill('#chat-callback-phone', '+1 202 555 0166');
  await agent.click('#chat-callback');
  // The visitor is told; the request exists, linked to the conversation, and the worker rings the number.
  await visitor.waitForSelector('#chat-callback-done:not([hidden])', { timeout: 10_000 });
  const row = await until(async () => (await s.c.pool.query(
    `SELECT r.id FROM chat_conversations c JOIN callback_requests r ON r.id = c.callback_request_id WHERE c.visitor_name = 'Vera Visitor'`)).rows[0], 10_000);
  t.true(await until(() => s.sim.originates().some((o: any) => String(o.endpoint).includes('12025550166')), 20_000), 'the visitor\'s number is rung');
  t.truthy(row, 'the call-back request is linked to the conversation');
  const placed = await s.c.pool.query(`SELECT status FROM callback_requests WHERE id = $1`, [row.id]);
  t.not(placed.rows[0].status, 'queued');
  await agent.waitForFunction(() => (document.getElementById('chat-request')?.textContent ?? '').length > 10, undefined, { timeout: 10_000 });
  t.deepEqual(errors, []);
});

test.serial('from a call-back status page at 360 px: the owner answers in the portal inbox on the other web process', async (t) => {
  const errors: string[] = [];
  // Scheduled far ahead: the status page stays as it is while they write.
  const created = (await request(s.base, '+1 202 555 0167', { name: 'Sam Status', scheduledAt: new Date(Date.now() + 86400_000).toISOString() })).json;
  const visitor = await browser.newPage({ viewport: { width: 360, height: 740 } });
  visitor.on('pageerror', (e) => errors.push(e.message));
  await visitor.goto(`${base2}/c/demo/status/${created.id}?token=${encodeURIComponent(created.statusToken)}`);
  await visitor.fill('#chat-first', 'Could you call after 5 pm instead?');
  await visitor.click('#chat-start-button');
  await visitor.waitForSelector('#chat-messages li.visitor');
  // The panel fits the phone's width.
  const box = await visitor.locator('#chat-panel').boundingBox();
  t.true(box!.x >= 0 && box!.x + box!.width <= 360, JSON.stringify(box));

  const owner = await portalPage(browser, s.base, 1280);
  owner.on('pageerror', (e) => errors.push(e.message));
  await owner.goto(`${s.base}/portal/inbox`);
  const item = owner.locator('#chat-list button', { hasText: 'Sam Status' });
  await item.waitFor({ timeout: 10_000 });
  await item.click();
  await owner.waitForSelector('#chat-messages li.visitor');
  t.is(await owner.textContent('#chat-request a'), created.id);
  await owner.fill('#chat-reply-body', 'Of course, we moved it.');
  await owner.click('#chat-send');
  await visitor.waitForFunction(() => Array.from(document.querySelectorAll('#chat-messages li.owner')).some((li) => li.textContent!.includes('we moved it')), undefined, { timeout: 10_000 });
  // A reload of the status page resumes the conversation with its messages.
  await visitor.screenshot({ path: `${OUT}/chat-status-page-360.png`, fullPage: true });
  await owner.screenshot({ path: `${OUT}/chat-portal-inbox.png`, fullPage: true });
  await visitor.reload();
  await visitor.waitForFunction(() => document.querySelectorAll('#chat-messages li').length >= 2, undefined, { timeout: 10_000 });
  await visitor.click('#chat-end');
  await owner.waitForSelector('#chat-messages li.system');
  await owner.waitForSelector('#chat-reply', { state: 'hidden', timeout: 10_000 });
  t.deepEqual(errors, []);
});
