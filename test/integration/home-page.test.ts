import test from 'ava';
import { startPolicyWeb, type PolicyWeb } from '../helpers/policy-web.ts';
import { signUp } from '../helpers/portal.ts';

/*
 * Beckon's home page: the demo subscriber's page (its name, its widget) only where the demo runs (DEMO_PAGE);
 * on any other installation a neutral page, even with a subscriber whose slug is `demo`. Signups never get the
 * demo's slug or one of Beckon's own path names.
 */
let prod: PolicyWeb;
let demo: PolicyWeb;

test.before(async () => {
  // Both seed the demo subscriber (slug `demo`): in production it stands for an account that holds that slug.
  prod = await startPolicyWeb('homeprod', { RATE_LIMITS_ENABLED: 'false', DEMO_PAGE: 'false' });
  demo = await startPolicyWeb('homedemo', { RATE_LIMITS_ENABLED: 'false', DEMO_PAGE: 'true' });
});
test.after.always(async () => { await prod?.close(); await demo?.close(); });

const home = async (base: string) => { const r = await fetch(`${base}/`); return { status: r.status, text: await r.text() }; };
const slugOf = async (w: PolicyWeb, email: string) => (await w.c.pool.query(`SELECT slug FROM subscribers WHERE email = $1`, [email])).rows[0]?.slug;

test('outside the demo, the home page names no subscriber and runs no widget, even one whose slug is demo', async (t) => {
  const r = await home(prod.base);
  t.is(r.status, 200);
  t.regex(r.text, /Beckon is running/);
  t.notRegex(r.text, /Demo Shop|widget\.js|data-subscriber/);
});

test('in the demo, the home page is the demo subscriber\'s', async (t) => {
  const r = await home(demo.base);
  t.is(r.status, 200);
  t.regex(r.text, /<h1>Demo Shop<\/h1>/);
  t.regex(r.text, /<script src="\/widget\.js" data-subscriber="demo" async><\/script>/);
});

test('a signup named like the demo or one of Beckon\'s paths gets another slug', async (t) => {
  for (const [name, expected] of [['Demo', 'demo-2'], ['Admin', 'admin-2'], ['Portal', 'portal-2'], ['API', 'api-2'], ['Metrics', 'metrics-2']]) {
    const { form, status } = await signUp(prod.base, { name: name!, email: `${name!.toLowerCase()}-${Date.now()}@example.com` });
    t.is(status, 303, name);
    t.is(await slugOf(prod, form.email!), expected, name);
  }
  const { form } = await signUp(demo.base, { name: 'Demo', email: `demo-${Date.now()}@example.com` });
  t.is(await slugOf(demo, form.email!), 'demo-2', 'the demo keeps its page');
  t.regex((await home(demo.base)).text, /data-subscriber="demo"/);
  t.notRegex((await home(prod.base)).text, /data-subscriber/);
});
