import test from 'ava';
import type { Browser } from 'playwright-core';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';
import { AGENT_PASSWORD, agentLogin, setAvailable } from '../helpers/agent-console.ts';

let s: Stack;
let browser: Browser;

test.before(async () => {
  s = await startStack({ label: 'onhold', timeScale: 0.2, env: { MAX_CALL_SEC: '60', RATE_LIMITS_ENABLED: 'false', AGENT_WRAP_UP_SEC: '0', AGENT_OFFER_TIMEOUT_SEC: '30' } });
  await demoAnsweredByAgents(s, { waitSec: 60 });
  await addAgent(s, { login: 'holly', name: 'Holly Agent', password: AGENT_PASSWORD });
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

test.serial('the status page says "On hold" while the agent holds the visitor, live and on a fresh load, and "Connected" again once taken back', async (t) => {
  const agent = await browser.newPage();
  const visitor = await browser.newPage();
  const errors: string[] = [];
  agent.on('pageerror', (e) => errors.push(e.message));
  visitor.on('pageerror', (e) => errors.push(e.message));
  await agentLogin(agent, s.base, 'holly');
  await setAvailable(agent);

  const r = await request(s.base, '+1 202 555 0181', { name: 'Hal Held' });
  t.is(r.status, 202, r.text);
  const statusUrl = `${s.base}/c/demo/status/${r.json.id}?token=${encodeURIComponent(r.json.statusToken)}`;
  await visitor.goto(statusUrl);
  await agent.waitForSelector('#offer:not([hidden])', { timeout: 10000 });
  await agent.click('#accept');
  await agent.waitForFunction(() => document.getElementById('console')?.dataset.phase === 'connected', undefined, { timeout: 15000 });
  await visitor.waitForFunction(() => document.getElementById('status-card')?.dataset.stage === 'connected', undefined, { timeout: 10000 });
  t.is(await visitor.textContent('#status'), 'Connected');

  await agent.click('#hold');
  await agent.waitForFunction(() => document.getElementById('hold')?.textContent === 'Resume', undefined, { timeout: 5000 });
  await visitor.waitForFunction(() => document.getElementById('status')?.textContent === 'On hold', undefined, { timeout: 5000 });
  t.is(await visitor.textContent('#status-text'), 'You are on hold. Please stay on the line.');
  t.is(await visitor.getAttribute('#steps li[data-step="connected"]', 'class'), 'current');
  // The hold is read from the stored call: a fresh load (and the JSON status) says so too.
  await visitor.goto(statusUrl);
  t.is(await visitor.textContent('#status'), 'On hold');
  t.is((await waitForStatus(s.base, r.json, (j) => j.stage === 'on_hold', 5000)).stage, 'on_hold');

  await agent.click('#hold');
  await agent.waitForFunction(() => document.getElementById('hold')?.textContent === 'Hold', undefined, { timeout: 5000 });
  await visitor.waitForFunction(() => document.getElementById('status')?.textContent === 'Connected', undefined, { timeout: 5000 });

  await agent.click('#hangup');
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 15000);
  t.is(st.status, 'completed');
  await visitor.waitForFunction(() => document.getElementById('status-card')?.dataset.stage === 'completed', undefined, { timeout: 10000 });
  t.deepEqual(errors, []);
});
