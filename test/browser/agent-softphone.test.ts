import test from 'ava';
import type { Browser } from 'playwright-core';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';
import { AGENT_PASSWORD, openAgentConsole, setAvailable } from '../helpers/agent-console.ts';
import { until } from '../helpers/wait-for.ts';

/**
 * An agent answering in the console's softphone: chromium with fake media devices logs in, chooses "Answer in the
 * browser" (JsSIP registers with this session's credentials), takes a call-back offer, the worker's originate rings
 * the browser, which answers; the visitor's phone is rung and bridged; the agent hangs up in the console.
 */
let s: Stack;
let browser: Browser;

test.before(async () => {
  s = await startStack({ label: 'agentsoftphonebr', timeScale: 0.2, env: { MAX_CALL_SEC: '30', RATE_LIMITS_ENABLED: 'false', AGENT_WRAP_UP_SEC: '0', AGENT_OFFER_TIMEOUT_SEC: '30' } });
  await demoAnsweredByAgents(s, { waitSec: 60 });
  await addAgent(s, { login: 'hana', name: 'Hana Agent', password: AGENT_PASSWORD });
  browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection']);
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

const softphoneState = (page: import('playwright-core').Page) => page.evaluate(() => document.getElementById('softphone')?.dataset.state ?? null);

test('the agent answers a call-back in the browser and hangs up there', async (t) => {
  const errors: string[] = [];
  const page = await openAgentConsole(browser, s.base, 'hana', errors);
  await page.check('#softphone-on');
  await page.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'registered', undefined, { timeout: 10000 });
  const device = await until(async () => {
    const r = (await s.c.pool.query(`SELECT endpoint, device_state FROM agents WHERE login = 'hana'`)).rows[0];
    return r.device_state === 'NOT_INUSE' ? r : null;
  }, 5000);
  t.regex(device.endpoint, /^PJSIP\/webagent-[0-9a-f]{12}$/);
  await setAvailable(page);

  const r = await request(s.base, '+1 202 555 0143', { name: 'Ida Visitor' });
  t.is(r.status, 202, r.text);
  await page.waitForSelector('#accept:not([hidden])', { timeout: 10000 });
  await page.click('#accept');
  // The worker rings the browser (an INVITE over the SIP WebSocket), which picks up: the agent accepted already.
  await page.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'in_call', undefined, { timeout: 15000 });
  t.true(s.sim.originates().some((o: any) => o.endpoint === device.endpoint));
  await page.waitForFunction(() => document.getElementById('offer-state')?.textContent === 'Connected', undefined, { timeout: 15000 });
  t.is(await page.textContent('#softphone-state'), 'On a call in the browser.');

  await page.click('#hangup');
  await page.waitForFunction(() => document.getElementById('softphone')?.dataset.state === 'registered', undefined, { timeout: 10000 });
  const fin = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 15000);
  t.is(fin.status, 'completed');
  t.is(await softphoneState(page), 'registered', 'still registered for the next call');
  t.deepEqual(errors, []);
  await page.close();
});
