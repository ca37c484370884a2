import test from 'ava';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.ts';
import { launchChromium } from '../helpers/browser.ts';
import { portalPage } from '../helpers/portal-login.ts';
import { insertRequestRow } from '../helpers/rows.ts';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { startNotices, type NoticesHandle } from '../../src/notices/notices.service.ts';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';

/** The owner's notice settings in a browser, a mailed notice's unsubscribe link, and "Forgot password?" through a real SMTP server. */

let smtp: TestSmtp;
let s: Stack;
let notices: NoticesHandle;
let browser: Browser;

test.before(async () => {
  smtp = await startTestSmtp();
  s = await startStack({ label: 'noticesui', worker: false, env: { SMTP_URL: smtp.url } });
  notices = startNotices({
    pool: s.c.pool, log: s.c.log, redisUrl: s.config.REDIS_URL, prefix: s.config.REDIS_PREFIX, smtpUrl: smtp.url, from: s.config.MAIL_FROM,
    digestHour: s.config.DIGEST_HOUR, publicUrl: () => s.base, secret: s.config.SESSION_SECRET, intervalMs: 3_600_000, retryDelayMs: 150,
  });
  browser = await launchChromium();
});
test.after.always(async () => { await browser?.close(); await notices?.stop(); await s?.close(); await smtp?.close(); });

test.serial('the owner turns notices on in the portal, gets one, and unsubscribes from it in one click', async (t) => {
  const page = await portalPage(browser, s.base, 1280);
  await page.locator('header nav').getByRole('link', { name: 'Notices' }).click();
  await page.waitForURL(`${s.base}/portal/notices`);
  t.is(await page.locator('header nav a[aria-current="page"]').getAttribute('href'), '/portal/notices');
  t.regex(await page.locator('main').innerText(), new RegExp(DEMO_LOGIN.email));
  t.true(await page.getByLabel(/missed call-back/).isChecked(), 'missed call-backs are on by default');
  t.false(await page.getByLabel(/new call-back request/).isChecked());
  await page.getByLabel(/new call-back request/).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(`${s.base}/portal/notices`);
  t.regex(await page.locator('.flash').innerText(), /saved/);
  t.true(await page.getByLabel(/new call-back request/).isChecked());

  const demoId = (await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`)).rows[0].id as string;
  await insertRequestRow(s.c.pool, demoId);
  await notices.runOnce();
  const mail = await smtp.waitFor(DEMO_LOGIN.email, /New call-back request/);
  t.truthy(mail);
  const link = /https?:\/\/\S+\/notices\/unsubscribe\/\S+/.exec(mail!.mail.text!)?.[0];
  t.truthy(link);
  const inbox = await browser.newPage();
  await inbox.goto(link!);
  await inbox.getByRole('button', { name: 'Unsubscribe' }).click();
  await inbox.locator('#unsubscribe-done').waitFor();
  t.regex(await inbox.locator('#unsubscribe-done').innerText(), /A new call-back request/);
  await page.reload();
  t.false(await page.getByLabel(/new call-back request/).isChecked(), 'the portal shows it off');
  t.true(await page.getByLabel(/missed call-back/).isChecked(), 'the other events are as they were');
  await inbox.close();
  await page.close();
});

test.serial('"Forgot password?" mails a link that sets a new password and opens the portal', async (t) => {
  const page = await browser.newPage({ viewport: { width: 360, height: 800 } });
  await page.goto(`${s.base}/login`);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await page.waitForURL(`${s.base}/forgot`);
  await page.getByLabel(/Email/).fill(DEMO_LOGIN.email);
  await page.getByRole('button', { name: 'Mail me a link' }).click();
  await page.locator('#forgot-sent').waitFor();
  const mail = await smtp.waitFor(DEMO_LOGIN.email, /new Beckon password/);
  t.truthy(mail);
  const link = /https?:\/\/\S+\/reset\/[\w-]{43}/.exec(mail!.mail.text!)?.[0];
  await page.goto(link!);
  await page.getByLabel('New password').fill('a mailed new password');
  await page.getByLabel('The same again').fill('a mailed new password');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.waitForURL(`${s.base}/portal`);
  t.pass();
  await page.close();
});
