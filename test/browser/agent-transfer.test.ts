import test from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { insertAgent, listOffers, setAgentStatus, setAssignments } from '../../src/agents/agent.repository.ts';
import { hashPassword } from '../../src/auth/password.ts';

let s: Stack;
let browser: Browser;
const ids: Record<string, string> = {};

test.before(async () => {
  s = await startStack({ label: 'xferui', timeScale: 0.2, env: { MAX_CALL_SEC: '60', RATE_LIMITS_ENABLED: 'false', AGENT_WRAP_UP_SEC: '60', AGENT_OFFER_TIMEOUT_SEC: '30' } });
  const { rows: [demo] } = await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`);
  await s.c.pool.query(`UPDATE subscribers SET settings = settings || '{"retry": {"maxAttempts": 1}, "answeredBy": "agents", "agents": {"mode": "agent_first", "waitSec": 60, "fallback": "reschedule"}}' WHERE id = $1`, [demo.id]);
  s.c.subscribers.invalidate();
  for (const [name, login] of [['Holly Agent', 'holly'], ['Tess Target', 'tess']]) {
    const a = await insertAgent(s.c.pool, { name, login, endpoint: `PJSIP/${login}`, passwordHash: await hashPassword('correct horse battery') });
    await setAssignments(s.c.pool, a.id, [demo.id], []);
    ids[login] = a.id;
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

async function console(login: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${s.base}/agent/login`);
  await page.fill('#login', login);
  await page.fill('#password', 'correct horse battery');
  await Promise.all([page.waitForURL(`${s.base}/agent`), page.click('button[type=submit]')]);
  return page;
}

const phase = (p: Page, want: string) =>
  p.waitForFunction((w) => document.getElementById('console')?.dataset.phase === w, want, { timeout: 15000 });

test.serial('the console offers a transfer to an available colleague on a connected call; it hands the call over and the first agent goes to wrap-up', async (t) => {
  const errors: string[] = [];
  const holly = await console('holly', errors);
  await holly.click('#set-available');
  await holly.waitForFunction(() => document.getElementById('agent-status')?.textContent === 'available');
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
