import test from 'ava';
import { startStack, API_AUTH, postJson, type Stack } from '../helpers/stack.ts';
import { FormClient, signUp } from '../helpers/portal.ts';
import { ARI_AUTH } from '../helpers/sim-ari.ts';
import { pollUntil } from '../helpers/wait-for.ts';

// The demo's phone page (a new subscriber reads its verification code there, and answers, presses keys and hangs
// up simulated phones), and the portal's preview page, which counts as that subscriber's own page for the
// directory and the API's origin check — and for no other subscriber.

let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'demophones', demoPhones: true, env: { TRUST_PROXY: 'true' } });
});
test.after.always(async () => { await s?.close(); });

const until = <T>(read: () => Promise<T>, done: (v: T) => boolean) => pollUntil(read, done, 10000, 50);

test.serial('a new subscriber reads its code on the demo phone page, verifies, and its preview page gets its own widget directory', async (t) => {
  const { client, location } = await signUp(s.base, { phone: '+1 202 555 0143' });
  t.is(location, '/portal');
  const overview = await client.get('/portal');
  t.regex(overview.text, /class="demo-banner"[^]*href="\/demo\/phones"/, 'the demo banner links to the phones');
  const slug = (await s.c.pool.query(`SELECT slug FROM subscribers WHERE phone_e164 = '+12025550143' ORDER BY created_at DESC LIMIT 1`)).rows[0].slug as string;

  // Before verification the preview says why the widget stays hidden, and the directory says it is not ready.
  const early = await client.get('/portal/preview');
  t.is(early.status, 302);
  t.is(early.location, `/portal/preview/${slug}`);
  const earlyPage = await client.get(early.location!);
  t.regex(earlyPage.text, /id="preview-not-ready"/);

  const call = await client.post('/portal/verify', { department: '' });
  t.is(call.status, 303);
  const verifyPage = await client.get(call.location!);
  t.regex(verifyPage.text, /id="demo-phones-hint"[^]*href="\/demo\/phones"/);

  // The phone page shows the digits the phone heard (twice), read by anyone with the demo open.
  const phones = await until(() => client.get('/demo/phones'), (r) => /class="heard-digits">\d{6}<[^]*class="heard-digits">\d{6}</.test(r.text));
  t.is(phones.status, 200);
  const codes = [...phones.text.matchAll(/class="heard-digits">(\d{6})</g)].map((m) => m[1]);
  t.is(codes[0], codes[1], 'the code is read out twice');
  t.regex(phones.text, /\+12025550143/);
  const list = await client.get('/demo/phones?part=list');
  t.notRegex(list.text, /<html/, 'the list alone, for the refresh script');
  t.true(list.text.includes(codes[0]!));

  const typed = await client.post(call.location!, { code: codes[0]! });
  t.is(typed.status, 303);
  t.not((await s.c.pool.query(`SELECT phone_verified_at FROM subscribers WHERE slug = $1`, [slug])).rows[0].phone_verified_at, null);

  const preview = await client.get(`/portal/preview/${slug}`);
  t.is(preview.status, 200);
  t.true(preview.text.includes(`<script src="/widget.js" data-subscriber="${slug}" async></script>`));
  t.notRegex(preview.text, /preview-not-ready/);
  t.regex(preview.text, /href="\/portal\/preview" aria-current="page"/);
  t.is((await client.get('/portal/preview/demo')).status, 404, 'another subscriber\'s preview is not served');
  t.is((await new FormClient(s.base).get(`/portal/preview/${slug}`)).status, 302, 'logged out: to the login');

  // The directory: Beckon's own preview page belongs to that subscriber, though the demo owns Beckon's host.
  const dir = (url: string) => fetch(`${s.base}/api/v1/directory?url=${encodeURIComponent(url)}`).then(async (r) => ({ status: r.status, json: r.ok ? await r.json() : null }));
  t.is((await dir(`${s.base}/portal/preview/${slug}`)).json?.subscriber.slug, slug);
  t.is((await dir(`${s.base}/portal/preview/${slug}/`)).json?.subscriber.slug, slug);
  t.is((await dir(`${s.base}/`)).json?.subscriber.slug, 'demo', 'every other page of Beckon\'s host is the demo\'s');
  t.is((await dir(`${s.base}/portal/preview/${slug}/x`)).json?.subscriber.slug, 'demo');
  t.is((await dir(`http://preview-thief.example/portal/preview/${slug}`)).status, 404, 'the same path on another site is nobody\'s');
  t.is((await dir(`http://127.0.0.1:1/portal/preview/${slug}`)).json?.subscriber.slug, 'demo', 'another port is another origin');

  // Submissions from the preview page may name its subscriber only.
  const fromPreview = (subscriber: string, referer = `${s.base}/portal/preview/${slug}`) => postJson(s.base, '/api/v1/callbacks',
    { subscriber, phone: '+12025550104', name: 'Preview Visitor', consent: true, pageUrl: referer, source: 'widget' },
    { ...API_AUTH, origin: s.base, referer });
  const other = await fromPreview('demo');
  t.is(other.status, 403);
  t.is(other.json?.error?.code ?? other.json?.code, 'origin_not_allowed');
  t.is((await fromPreview(slug)).status, 202);
  t.is((await fromPreview('demo', `${s.base}/`)).status, 202, 'Beckon\'s other pages are the demo\'s as before');
  const foreign = await postJson(s.base, '/api/v1/callbacks', { subscriber: slug, phone: '+12025550104', consent: true }, { ...API_AUTH, origin: 'http://preview-thief.example', referer: `http://preview-thief.example/portal/preview/${slug}` });
  t.is(foreign.status, 403, 'another site cannot borrow the preview\'s attribution');
});

test.serial('the demo phone page answers a ringing phone, presses its keys and hangs it up', async (t) => {
  const client = new FormClient(s.base);
  // Numbers ending in 9 ring until someone answers; a call into an app with no socket is fine for the phone side.
  const o = await fetch(`${s.sim.ariUrl}/ari/channels?endpoint=PJSIP/12025550119@carrier&app=nobody&channelId=demo-ring-1&callerId=%22Shop%22%20%3C2025550111%3E`, { method: 'POST', headers: ARI_AUTH });
  t.is(o.status, 200);
  const ringing = await until(() => client.get('/demo/phones'), (r) => /data-call="demo-ring-1" data-state="ringing"/.test(r.text));
  t.regex(ringing.text, /data-call="demo-ring-1" data-state="ringing"[^]*?<button type="submit">Answer<\/button>/);
  t.regex(ringing.text, /by &quot;Shop&quot; &lt;2025550111&gt;/);

  t.is((await client.post('/demo/phones/demo-ring-1', { command: 'dtmf', digit: '5' })).status, 409, 'a ringing phone has no keypad yet');
  t.is((await client.post('/demo/phones/demo-ring-1', { command: 'dtmf', digit: '55' })).status, 400);
  t.is((await client.post('/demo/phones/demo-ring-1', { command: 'explode' })).status, 400);
  t.is((await client.post('/demo/phones/demo-ring-1', { command: 'answer' }, { csrf: null })).status, 403, 'the CSRF token is required');

  // Answered into an app with no socket, Asterisk hangs the phone up at once (cause 0): the page says so.
  const answered = await client.post('/demo/phones/demo-ring-1', { command: 'answer' });
  t.is(answered.status, 303);
  t.is(answered.location, '/demo/phones');
  const after = await until(() => client.get('/demo/phones'), (r) => /data-call="demo-ring-1" data-state="ended"/.test(r.text));
  t.regex(after.text, /data-call="demo-ring-1" data-state="ended"[^]*?hung up after/);
  t.is((await client.post('/demo/phones/demo-ring-1', { command: 'hangup' })).status, 409, 'an ended call');
});
