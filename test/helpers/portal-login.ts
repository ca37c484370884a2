import type { Browser, Page } from 'playwright-core';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';

/** A page of its own, `width` px wide, logged in to the portal as the demo subscriber's owner. */
export async function portalPage(browser: Browser, base: string, width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(DEMO_LOGIN.email);
  await page.getByLabel('Password').fill(DEMO_LOGIN.password);
  await page.getByRole('button', { name: /log in/i }).click();
  await page.waitForURL(`${base}/portal`);
  return page;
}

export interface SignUpFields { business: string; email: string; password: string; hosts: string; country: string; phone: string; timezone: string }

/** Fills the sign-up form in `page` and sends it; resolves once the new account has landed on the portal. */
export async function signUpInBrowser(page: Page, base: string, f: SignUpFields): Promise<void> {
  await page.goto(`${base}/signup`);
  await page.getByLabel('Business name').fill(f.business);
  await page.getByLabel('Email').fill(f.email);
  await page.getByLabel(/^Password/).fill(f.password);
  await page.getByLabel(/host names/).fill(f.hosts);
  await page.getByLabel('Country').selectOption(f.country);
  await page.getByLabel(/The phone we ring/).fill(f.phone);
  await page.getByLabel('Time zone').selectOption(f.timezone);
  await page.getByRole('button', { name: 'Create my account' }).click();
  await page.waitForURL(`${base}/portal`);
}
