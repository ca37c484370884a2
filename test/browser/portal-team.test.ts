import test from 'ava';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { addAgent } from '../helpers/agents.ts';
import { portalPage } from '../helpers/portal-login.ts';

/**
 * The portal's Team page as an owner uses it, on a 360 px phone and a 1280 px desktop: add an agent, open it,
 * give it a department, disable it; an operator's agent is read only. No page scrolls sideways.
 */

let s: Stack;
let browser: Browser;
const OUT = 'test-artifacts';

test.before(async () => {
  mkdirSync(OUT, { recursive: true });
  s = await startStack({ label: 'portalteam', worker: false, env: { RATE_LIMITS_ENABLED: 'false' } });
  await addAgent(s, { login: 'olivia-pool', name: 'Olivia from the operator pool', endpoint: 'PJSIP/olivia-with-a-long-endpoint-name' });
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await s?.close(); });

const loggedIn = (width: number) => portalPage(browser, s.base, width);

const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

for (const width of [360, 1280] as const) {
  test.serial(`the Team page at ${width} px: add an agent, give it a department, disable it; the operator's agent is read only`, async (t) => {
    const page = await loggedIn(width);
    await page.locator('header nav a', { hasText: 'Team' }).click();
    await page.waitForURL(`${s.base}/portal/team`);
    t.is(await page.locator('header nav a[aria-current="page"]').getAttribute('href'), '/portal/team');
    t.is(await overflow(page), 0, 'the list fits');

    const login = `sam-${width}`;
    await page.getByLabel('Name', { exact: true }).fill(`Sam Sample ${width}`);
    await page.getByLabel('Login').fill(login);
    await page.getByLabel(/Initial password/).fill('sam password 123');
    await page.getByRole('button', { name: 'Add agent' }).click();
    await page.waitForURL(/\/portal\/team\/[0-9a-f-]{36}$/);
    t.regex((await page.locator('.flash').textContent()) ?? '', new RegExp(`Agent Sam Sample ${width} created`));
    t.is(await overflow(page), 0, 'the agent page fits');

    const departments = page.locator('#agent-departments input[type=checkbox]');
    if (await departments.count() > 0) {
      const first = departments.first();
      await first.check();
      await page.getByRole('button', { name: 'Save departments' }).click();
      await page.waitForSelector('.flash');
      t.true(await page.locator('#agent-departments input[type=checkbox]').first().isChecked());
    }
    await page.getByRole('button', { name: /Disable/ }).click();
    await page.waitForSelector('text=is disabled');
    t.true(await page.getByRole('button', { name: 'Enable' }).isVisible());
    await page.screenshot({ path: `${OUT}/portal-team-agent-${width}.png`, fullPage: true });
    const { rows: [row] } = await s.c.pool.query(`SELECT active FROM agents WHERE login = $1`, [login]);
    t.false(row.active);

    await page.goto(`${s.base}/portal/team`);
    t.is(await overflow(page), 0);
    t.true(await page.locator('#team tr', { hasText: `Sam Sample ${width}` }).locator('text=disabled').isVisible());
    await page.screenshot({ path: `${OUT}/portal-team-${width}.png`, fullPage: true });
    await page.getByRole('link', { name: 'Olivia from the operator pool' }).click();
    await page.waitForSelector('#read-only');
    t.is(await page.locator('form#agent-password, form#agent-active').count(), 0, 'no form changes an agent of the pool');
    t.is(await overflow(page), 0);
    await page.close();
  });
}
