import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { verifiedSignUp } from '../helpers/subscribers.ts';
import type { FormClient } from '../helpers/portal.ts';
import { insertDomain, mergeSettings } from '../../src/subscribers/subscriber.repository.ts';

/*
 * Proactive invitations: the portal page's validation and saving (CSRF, each field's limits, page patterns), the
 * directory carrying the invitation only for matching pages, and the widget's beacon: counted per subscriber and
 * day, no cookie, rate limited per IP, a browser on one subscriber's site unable to count for another, and
 * another tenant's reports untouched.
 */
let s: Stack;
interface Tenant { client: FormClient; id: string; slug: string; host: string }
let A: Tenant;
let B: Tenant;

test.before(async () => {
  s = await startStack({ label: 'invitations', worker: false, env: { TRUST_PROXY: 'true', RATE_LIMITS_ENABLED: 'true' } });
  const tenant = async (name: string, host: string): Promise<Tenant> => {
    const t = await verifiedSignUp(s, { name: `${name} ${Date.now()}` });
    await insertDomain(s.c.pool, t.id, host);
    s.c.subscribers.invalidate();
    return { ...t, host };
  };
  A = await tenant('Invite A', 'www.invite-a.test');
  B = await tenant('Invite B', 'www.invite-b.test');
});
test.after.always(async () => { await s?.close(); });

const stored = async (id: string) => (await s.c.pool.query(`SELECT settings->'invitation' AS inv FROM subscribers WHERE id = $1`, [id])).rows[0].inv;
const counts = async (id: string) => (await s.c.pool.query(
  `SELECT COALESCE(sum(shown), 0)::int AS shown, COALESCE(sum(opened), 0)::int AS opened, COALESCE(sum(converted), 0)::int AS converted FROM invitation_counts WHERE subscriber_id = $1`, [id])).rows[0];
const directory = async (url: string) => (await fetch(`${s.base}/api/v1/directory?url=${encodeURIComponent(url)}`)).json() as Promise<any>;

/** A beacon as the widget sends it: a form post, from a page's origin, from one client IP. */
const beacon = (form: Record<string, string>, o: { origin?: string; ip?: string } = {}) => fetch(`${s.base}/api/v1/invitations/events`, {
  method: 'POST', body: new URLSearchParams(form),
  headers: { 'x-forwarded-for': o.ip ?? '10.9.0.1', ...(o.origin ? { origin: o.origin } : {}) },
});

test.serial('the owner sets the invitation in the portal: validated, CSRF-protected, and sent with the directory for matching pages only', async (t) => {
  t.regex((await A.client.get('/portal')).text, /href="\/portal\/invitations"/, 'Invitations is in the portal navigation');
  const page = await A.client.get('/portal/invitations');
  t.is(page.status, 200);
  t.regex(page.text, /Show an invitation/);
  t.regex(page.text, /at most 4 wildcards a pattern/, 'the form tells the wildcard limit');
  const post = (form: Record<string, string>, csrf?: null) => A.client.post('/portal/invitations', form, csrf === null ? { csrf: null } : {});

  const refused = async (form: Record<string, string>, message: RegExp, what: string) => {
    const r = await post(form);
    t.is(r.status, 400, what);
    t.regex(r.text, message, what);
  };
  await refused({ enabled: 'on', text: '', delaySec: '10' }, /Write what the invitation says/, 'no text');
  await refused({ enabled: 'on', text: 'Hi' }, /Choose when the invitation shows/, 'no trigger');
  await refused({ enabled: 'on', text: 'Hi', delaySec: '0' }, /from 1 to 3600/, 'seconds out of range');
  await refused({ enabled: 'on', text: 'Hi', scrollPercent: '150' }, /from 10 to 100/, 'share out of range');
  await refused({ enabled: 'on', text: 'Hi', urlPatterns: '/ok\npricing' }, /The pattern &quot;pricing&quot; starts with \//, 'a pattern not a path');
  await refused({ enabled: 'on', text: 'Hi', urlPatterns: '/a b' }, /character a path cannot/, 'a space in a pattern');
  await refused({ enabled: 'on', text: 'Hi', urlPatterns: '/shop/**\n/**a**a**a**a**a**a**a**a**b' },
    /The pattern &quot;\/\*\*a\*\*a\*\*a\*\*a\*\*a\*\*a\*\*a\*\*a\*\*b&quot; has more than 4 wildcards/, 'too many wildcards');
  await refused({ enabled: 'on', text: '<b>x</b>'.repeat(20), delaySec: '5' }, /under 140 characters/, 'too long');
  t.is((await post({ enabled: 'on', text: 'Hi', delaySec: '5' }, null)).status, 403, 'no CSRF token');
  t.is(await stored(A.id), null, 'nothing refused was saved');

  const saved = await post({ enabled: 'on', text: 'Questions? <We> call you back', delaySec: '20', scrollPercent: '', exitIntent: 'on', urlPatterns: '/pricing\n/shop/**' });
  t.is(saved.status, 303);
  t.deepEqual(await stored(A.id), { enabled: true, text: 'Questions? <We> call you back', delaySec: 20, exitIntent: true, scrollPercent: null, urlPatterns: ['/pricing', '/shop/**'] });
  const again = await A.client.get('/portal/invitations');
  t.regex(again.text, /Invitation saved: it is on/);
  t.regex(again.text, /value="Questions\? &lt;We&gt; call you back"/, 'the text is escaped on the page');
  t.regex(again.text, /<textarea id="urlPatterns"[^>]*>\/pricing\n\/shop\/\*\*<\/textarea>/);

  t.deepEqual((await directory(`http://${A.host}/pricing`)).invite, { text: 'Questions? <We> call you back', after: 20, exit: true });
  t.deepEqual((await directory(`http://${A.host}/shop/shoes/red?x=1`)).invite, { text: 'Questions? <We> call you back', after: 20, exit: true });
  t.false('invite' in await directory(`http://${A.host}/blog`), 'a page no pattern matches gets no invitation');
  t.false('invite' in await directory(`http://${B.host}/pricing`), "another tenant's pages get none");
});

test.serial("a stored pattern with many wildcards, on a long path, answers at once and holds up no other request", async (t) => {
  // Such a pattern cannot be saved from the portal; one stored without that cap must still be cheap to match.
  const wild = `/${'**a'.repeat(66)}`.slice(0, 200);
  await mergeSettings(s.c.pool, B.id, { invitation: { enabled: true, text: 'Hi', delaySec: 5, urlPatterns: Array(20).fill(wild) } });
  s.c.subscribers.invalidate();
  t.teardown(async () => {
    await s.c.pool.query(`UPDATE subscribers SET settings = settings - 'invitation' WHERE id = $1`, [B.id]);
    s.c.subscribers.invalidate();
  });
  const started = performance.now();
  const [answer, health] = await Promise.all([
    fetch(`${s.base}/api/v1/directory?url=${encodeURIComponent(`http://${B.host}/${'a'.repeat(1900)}b?v=1`)}`),
    fetch(`${s.base}/healthz`),
  ]);
  const ms = performance.now() - started;
  t.is(answer.status, 200);
  t.false('invite' in (await answer.json() as object));
  t.is(health.status, 200);
  t.true(ms < 1000, `took ${Math.round(ms)} ms`);
  t.deepEqual((await directory(`http://${B.host}/${'a'.repeat(130)}`)).invite, { text: 'Hi', after: 5 }, 'and it still matches');
});

test.serial('beacons count per subscriber and day, set no cookie, and a site counts only for its own subscriber', async (t) => {
  const origin = `http://${A.host}`;
  for (const event of ['shown', 'shown', 'opened', 'converted']) {
    const r = await beacon({ subscriber: A.slug, event }, { origin });
    t.is(r.status, 204, event);
    t.is(r.headers.get('set-cookie'), null, 'no cookie');
    t.is(r.headers.get('access-control-allow-origin'), origin);
  }
  t.deepEqual(await counts(A.id), { shown: 2, opened: 1, converted: 1 });

  t.is((await beacon({ subscriber: B.slug, event: 'shown' }, { origin })).status, 403, "A's site cannot count for B");
  t.is((await beacon({ subscriber: A.slug, event: 'shown' }, { origin: 'http://www.nobody.test' })).status, 403, 'an unregistered site cannot count');
  t.is((await beacon({ subscriber: A.slug, event: 'clicked' }, { origin })).status, 400, 'an unknown event');
  t.is((await beacon({ subscriber: 'no-such-shop', event: 'shown' })).status, 404);
  t.is((await beacon({ subscriber: B.slug, event: 'shown' }, { origin: `http://${B.host}` })).status, 204, "B's own site");
  t.deepEqual(await counts(B.id), { shown: 0, opened: 0, converted: 0 }, "B's invitation is off: nothing counted");
  t.deepEqual(await counts(A.id), { shown: 2, opened: 1, converted: 1 }, 'refused beacons counted nothing');

  // The reports show each tenant its own counts.
  const reportA = await A.client.get('/portal/reports');
  t.regex(reportA.text, /data-kpi="invitations-shown">2</);
  t.regex(reportA.text, /data-kpi="invitations-opened">1</);
  t.regex(reportA.text, /data-kpi="invitations-converted">1</);
  t.regex((await B.client.get('/portal/reports')).text, /data-kpi="invitations-shown">0</);
  t.regex((await A.client.get('/portal/invitations')).text, /data-count="shown">2</);
});

test.serial('beacons are rate limited per client IP', async (t) => {
  const ip = '10.9.7.7';
  let first429 = 0;
  for (let i = 1; i <= 125 && !first429; i++) {
    const r = await beacon({ subscriber: A.slug, event: 'shown' }, { ip });
    if (r.status === 429) first429 = i;
    else t.is(r.status, 204);
  }
  t.is(first429, 121, 'the 121st beacon of a minute is refused');
  t.is((await beacon({ subscriber: A.slug, event: 'shown' }, { ip: '10.9.7.8' })).status, 204, 'another IP is not');
});

test.serial('turning the invitation off removes it from the directory; only the own settings change', async (t) => {
  // Ids of another tenant in the form change nothing of theirs: the page acts on the session's subscriber only.
  const r = await A.client.post('/portal/invitations', { text: 'Questions?', delaySec: '20', subscriberId: B.id, id: B.id, slug: B.slug });
  t.is(r.status, 303);
  t.false((await stored(A.id)).enabled);
  t.is(await stored(B.id), null, "B's settings are untouched");
  t.false('invite' in await directory(`http://${A.host}/pricing`));
});
