import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { verifiedSignUp } from '../helpers/subscribers.ts';
import type { FormClient } from '../helpers/portal.ts';
import { recordEvent } from '../../src/webhooks/webhook.repository.ts';

/*
 * The portal's Webhooks page: adding an endpoint (HTTPS, or HTTP to this host under the test setting; private
 * addresses refused), the secret shown once, rotation, disabling, the delivery log with "send again", CSRF, and
 * another tenant's endpoints and deliveries answering 404.
 */
let s: Stack;
interface Tenant { client: FormClient; id: string }
let A: Tenant;
let B: Tenant;

test.before(async () => {
  s = await startStack({ label: 'webhooks_portal', worker: false, env: { TRUST_PROXY: 'true', WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true' } });
  A = await verifiedSignUp(s, { name: `Hooks A ${Date.now()}` });
  B = await verifiedSignUp(s, { name: `Hooks B ${Date.now()}` });
});
test.after.always(async () => { await s?.close(); });

const endpointRow = async (subscriberId: string) =>
  (await s.c.pool.query(`SELECT id, url, events, secret, previous_secret, enabled FROM webhook_endpoints WHERE subscriber_id = $1 ORDER BY created_at DESC LIMIT 1`, [subscriberId])).rows[0];

test.serial('an owner adds an endpoint, sees its secret once, rotates it, disables and enables it', async (t) => {
  t.regex((await A.client.get('/portal')).text, /href="\/portal\/webhooks"/, 'Webhooks is in the one portal navigation');
  const page = await A.client.get('/portal/webhooks');
  t.is(page.status, 200);
  t.regex(page.text, /No endpoints yet/);

  const refused = async (url: string, events: string[] = ['callback.created']) => {
    const body = new URLSearchParams({ url });
    for (const e of events) body.append('events', e);
    return (await A.client.post('/portal/webhooks', Object.fromEntries(body) as Record<string, string>)).status;
  };
  t.is(await refused('http://crm.example.com/hook'), 400, 'plain HTTP only to this host');
  t.is(await refused('https://10.0.0.5/hook'), 400, 'a private address');
  t.is(await refused('https://169.254.169.254/latest/meta-data'), 400, 'the metadata address');
  t.is(await refused('https://user:pw@crm.example.com/hook'), 400, 'credentials in the URL');
  t.is(await refused('https://crm.example.com/hook', ['nope']), 400, 'no known event');
  t.is((await A.client.post('/portal/webhooks', { url: 'https://crm.example.com/hook', events: 'callback.created' }, { csrf: null })).status, 403);
  t.is(await endpointRow(A.id), undefined);

  const created = await A.client.post('/portal/webhooks', { url: 'https://crm.example.com/hook', events: 'callback.completed' });
  t.is(created.status, 303);
  const row = await endpointRow(A.id);
  t.like(row, { url: 'https://crm.example.com/hook', events: ['callback.completed'], enabled: true });
  t.is(created.location, `/portal/webhooks/${row.id}`);
  const shown = await A.client.get(created.location!);
  t.true(shown.text.includes(row.secret), 'the endpoint page after adding shows the secret');
  const again = await A.client.get(`/portal/webhooks/${row.id}`);
  t.is(again.status, 200);
  t.false(again.text.includes(row.secret), 'and never again');
  t.is((await A.client.post('/portal/webhooks', { url: 'http://127.0.0.1:9/hook', events: 'attempt.ended' })).status, 303, 'HTTP to this host under the test setting');
  await A.client.get('/portal/webhooks');

  const rotated = await A.client.post(`/portal/webhooks/${row.id}/rotate`, {});
  t.is(rotated.status, 303);
  const afterRotation = (await s.c.pool.query(`SELECT secret, previous_secret, previous_secret_until > now() + interval '23 hours' AS overlap FROM webhook_endpoints WHERE id = $1`, [row.id])).rows[0];
  t.is(afterRotation.previous_secret, row.secret);
  t.true(afterRotation.overlap, 'the old secret signs for 24 hours');
  const rotatedPage = await A.client.get(rotated.location!);
  t.true(rotatedPage.text.includes(afterRotation.secret));
  t.regex(rotatedPage.text, /previous secret still signs/);
  t.false((await A.client.get(rotated.location!)).text.includes(afterRotation.secret), 'shown once');

  t.is((await A.client.post(`/portal/webhooks/${row.id}/active`, { active: 'off' })).status, 303);
  t.false((await s.c.pool.query(`SELECT enabled FROM webhook_endpoints WHERE id = $1`, [row.id])).rows[0].enabled);
  t.regex((await A.client.get(`/portal/webhooks/${row.id}`)).text, /Disabled by you/);
  t.is((await A.client.post(`/portal/webhooks/${row.id}/active`, { active: 'on' })).status, 303);
  t.true((await s.c.pool.query(`SELECT enabled FROM webhook_endpoints WHERE id = $1`, [row.id])).rows[0].enabled);

  t.is((await A.client.post(`/portal/webhooks/${row.id}/events`, { events: 'callback.failed' })).status, 303);
  t.deepEqual((await s.c.pool.query(`SELECT events FROM webhook_endpoints WHERE id = $1`, [row.id])).rows[0].events, ['callback.failed']);
});

test.serial('the delivery log shows status, time and tries, and "send again" queues the event once more', async (t) => {
  await A.client.get('/portal/webhooks');
  await A.client.post('/portal/webhooks', { url: 'https://log.example.com/hook', events: 'callback.created' });
  const endpoint = await endpointRow(A.id);
  await recordEvent(s.c.pool, { subscriberId: A.id, type: 'callback.created', sourceKey: `test:${endpoint.id}`, data: { requestId: 'r1' }, at: new Date() });
  const delivery = (await s.c.pool.query(`SELECT id FROM webhook_deliveries WHERE endpoint_id = $1`, [endpoint.id])).rows[0];
  await s.c.pool.query(`UPDATE webhook_deliveries SET attempts = 3, last_status = 500, last_error = 'answered 500', last_duration_ms = 42 WHERE id = $1`, [delivery.id]);
  const page = await A.client.get(`/portal/webhooks/${endpoint.id}`);
  t.regex(page.text, /callback\.created/);
  t.regex(page.text, /500 answered 500/);
  t.regex(page.text, /42 ms/);
  const resent = await A.client.post(`/portal/webhooks/${endpoint.id}/deliveries/${delivery.id}/resend`, {});
  t.is(resent.status, 303);
  const rows = (await s.c.pool.query(`SELECT event_id, resend FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY seq`, [endpoint.id])).rows;
  t.is(rows.length, 2);
  t.is(rows[1].event_id, rows[0].event_id, 'the same event (the receiver can tell by its id)');
  t.true(rows[1].resend);
  t.regex((await A.client.get(`/portal/webhooks/${endpoint.id}`)).text, /\(sent again\)/);
});

test.serial("another tenant's endpoints and deliveries are 404 and change nothing", async (t) => {
  const endpoint = await endpointRow(A.id);
  const delivery = (await s.c.pool.query(`SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 LIMIT 1`, [endpoint.id])).rows[0];
  await B.client.get('/portal/webhooks');
  t.false((await B.client.get('/portal/webhooks')).text.includes(endpoint.url));
  t.is((await B.client.get(`/portal/webhooks/${endpoint.id}`)).status, 404);
  t.is((await B.client.get('/portal/webhooks/not-a-uuid')).status, 404);
  for (const path of ['rotate', 'delete', `deliveries/${delivery.id}/resend`]) {
    t.is((await B.client.post(`/portal/webhooks/${endpoint.id}/${path}`, {})).status, 404, path);
  }
  t.is((await B.client.post(`/portal/webhooks/${endpoint.id}/active`, { active: 'off' })).status, 404);
  const after = (await s.c.pool.query(`SELECT secret, enabled FROM webhook_endpoints WHERE id = $1`, [endpoint.id])).rows[0];
  t.like(after, { secret: endpoint.secret, enabled: true });
  // A's own delivery, named under B's own endpoint: still not B's.
  await B.client.post('/portal/webhooks', { url: 'https://b.example.com/hook', events: 'callback.created' });
  const bEndpoint = await endpointRow(B.id);
  t.is((await B.client.post(`/portal/webhooks/${bEndpoint.id}/deliveries/${delivery.id}/resend`, {})).status, 404);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1`, [bEndpoint.id])).rows[0].n, 0);

  t.is((await A.client.post(`/portal/webhooks/${endpoint.id}/delete`, {})).status, 303);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE id = $1`, [endpoint.id])).rows[0].n, 0);
});
