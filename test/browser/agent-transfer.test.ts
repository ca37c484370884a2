import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { listOffers, setAgentStatus } from '../../src/agents/agent.repository.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';
import { AGENT_PASSWORD, openAgentConsole, setAvailable } from '../helpers/agent-console.ts';

let s: Stack;
let browser: Browser;
const ids: Record<string, string> = {};

test.before(async () => {
  s = await startStack({ label: 'xferui', timeScale: 0.2, env: { MAX_CALL_SEC: '60', RATE_LIMITS_ENABLED: 'false', AGENT_WRAP_UP_SEC: '60', AGENT_OFFER_TIMEOUT_SEC: '30' } });
  await demoAnsweredByAgents(s, { waitSec: 60 });
  for (const [name, login] of [['Holly Agent', 'holly'], ['Tess Target', 'tess']] as const) {
    ids[login] = (await addAgent(s, { login, name, password: AGENT_PASSWORD })).id;
  }
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

const console = (login: string, errors: string[]) => openAgentConsole(browser, s.base, login, errors);

const phase = (p: Page, want: string) =>
  p.waitForFunction((w) => document.getElementById('console')?.dataset.phase === w, want, { timeout: 15000 });

test.serial('the console offers a transfer to an available colleague on a connected call; it hands the call over and the first agent goes to wrap-up', async (t) => {
  const errors: string[] = [];
  const holly = await console('holly', errors);
  await setAvailable(holly);
  const r = await request(s.base, '+1 202 555 0191', { name: 'Tom Transferred' });
  t.is(r.status, 202, r.text);
  await holly.waitForSelector('#offer:not([hidden])', { timeout: 10000 });
  await holly.click('#accept');
  await phase(holly, 'connected');
  // The subscriber's departments with a verified phone are offered; no colleague is available yet.
  await holly.waitForSelector('#transfer-form:not([hidden])', { timeout: 5000 });
  t.deepEqual(await holly.$$eval('#transfer-target option', (os) => os.map((o) => o.textContent)), ['Sales (phone)', 'Support (phone)']);

  const tess = await console('tess', errors);
  await setAgentStatus(s.c.pool, ids.tess!, 'available');
  await holly.reload();
  await phase(holly, 'connected');
  await holly.waitForSelector('#transfer-form:not([hidden])', { timeout: 5000 });
  t.deepEqual(await holly.$$eval('#transfer-target option', (os) => os.map((o) => o.textContent)), ['Tess Target', 'Sales (phone)', 'Support (phone)']);
  await holly.selectOption('#transfer-target', ids.tess!);
  await holly.click('#transfer');
  await phase(tess, 'connected');
  await phase(holly, 'wrap_up');
  t.deepEqual((await listOffers(s.c.pool, r.json.id)).map((o) => [o.agentId, o.outcome]), [[ids.holly, 'connected'], [ids.tess, null]]);
  t.is((await waitForStatus(s.base, r.json, (j) => j.stage === 'connected', 5000)).stage, 'connected');

  await tess.click('#hangup');
  t.is((await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 15000)).status, 'completed');
  await phase(tess, 'wrap_up');
  t.deepEqual(errors, []);
});
