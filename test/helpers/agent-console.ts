import type { Browser, Page } from 'playwright-core';

/** The console password the browser tests give their agents. */
export const AGENT_PASSWORD = 'correct horse battery';

/** Fills the agent login form the page shows and submits it; resolves once the console has loaded. */
export async function submitAgentLogin(page: Page, base: string, login: string, password = AGENT_PASSWORD): Promise<void> {
  await page.fill('#login', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/agent`), page.click('button[type=submit]')]);
}

/** Logs `page` in to the agent console as `login`. */
export async function agentLogin(page: Page, base: string, login: string, password = AGENT_PASSWORD): Promise<void> {
  await page.goto(`${base}/agent/login`);
  await submitAgentLogin(page, base, login, password);
}

/** The agent console in a page of its own, logged in as `login`; the page's script errors are added to `errors`. */
export async function openAgentConsole(browser: Browser, base: string, login: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await agentLogin(page, base, login);
  return page;
}

/** The agent says it is available, and the console shows it. */
export async function setAvailable(page: Page): Promise<void> {
  await page.click('#set-available');
  await page.waitForFunction(() => document.getElementById('agent-status')?.textContent === 'available');
}
