import test from 'ava';
import { startStack, request, type Stack } from '../helpers/stack.ts';
import { insertVerification } from '../../src/verification/verification.repository.ts';
import type { FormClient } from '../helpers/portal.ts';
import { verifiedSignUp } from '../helpers/subscribers.ts';
import { markDomainVerified } from '../../src/subscribers/subscriber.repository.ts';

let s: Stack;
interface Tenant { client: FormClient; id: string; slug: string; departmentId: string; domainId: string; requestId: string; verificationId: string }
let A: Tenant;
let B: Tenant;

async function tenant(label: string): Promise<Tenant> {
  const { client, ...row } = await verifiedSignUp(s, { name: `Tenant ${label} ${Date.now()}` });
  await client.get('/portal/departments');
  await client.post('/portal/departments', { name: 'Sales', answeredBy: 'phone', phone: '+1 202 555 0161', position: '1' });
  const departmentId = (await s.c.pool.query(`SELECT id FROM departments WHERE subscriber_id = $1`, [row.id])).rows[0].id;
  const domainId = (await s.c.pool.query(`SELECT id FROM domains WHERE subscriber_id = $1`, [row.id])).rows[0].id;
  const r = await request(s.base, '+1 202 555 0172', { subscriber: row.slug, scheduledAt: new Date(Date.now() + 7200_000).toISOString() });
  if (r.status !== 202) throw new Error(`request for ${row.slug}: ${r.status} ${r.text}`);
  const verificationId = await insertVerification(s.c.pool, { subscriberId: row.id, departmentId, phoneE164: '+12025550161', ttlSec: 600 });
  return { client, id: row.id, slug: row.slug, departmentId, domainId, requestId: r.json.id, verificationId };
}

const snapshot = async (t: Tenant) => ({
  subscriber: (await s.c.pool.query(`SELECT name, phone_e164, phone_verified_at, timezone, settings, password_hash FROM subscribers WHERE id = $1`, [t.id])).rows,
  departments: (await s.c.pool.query(`SELECT id, name, phone_e164, phone_verified_at, answered_by, position, archived_at FROM departments WHERE subscriber_id = $1 ORDER BY id`, [t.id])).rows,
  domains: (await s.c.pool.query(`SELECT id, host FROM domains WHERE subscriber_id = $1 ORDER BY id`, [t.id])).rows,
  requests: (await s.c.pool.query(`SELECT id, status FROM callback_requests WHERE subscriber_id = $1 ORDER BY id`, [t.id])).rows,
  verifications: (await s.c.pool.query(`SELECT id, tries, verified_at FROM phone_verifications WHERE subscriber_id = $1 ORDER BY id`, [t.id])).rows,
});

test.before(async () => {
  s = await startStack({ label: 'tenant', worker: false, env: { TRUST_PROXY: 'true' } });
  A = await tenant('A');
  B = await tenant('B');
});
test.after.always(async () => { await s?.close(); });

test.serial("A's session with B's ids: every portal route answers 404 and B is unchanged", async (t) => {
  const before = await snapshot(B);
  await A.client.get('/portal');
  const attempts: [string, Record<string, string>][] = [
    [`/portal/domains/${B.domainId}/delete`, {}],
    [`/portal/domains/${B.domainId}/verify`, {}],
    [`/portal/departments/${B.departmentId}`, { name: 'Hijacked', answeredBy: 'phone', phone: '+1 202 555 0199', position: '0' }],
    [`/portal/departments/${B.departmentId}/delete`, {}],
    ['/portal/verify', { department: B.departmentId }],
    [`/portal/verify/${B.verificationId}`, { code: '123456' }],
    [`/portal/requests/${B.requestId}/cancel`, {}],
  ];
  for (const [path, form] of attempts) {
    const r = await A.client.post(path, form);
    t.is(r.status, 404, path);
  }
  t.is((await A.client.get(`/portal/verify/${B.verificationId}`)).status, 404);
  t.deepEqual(await snapshot(B), before);
});

test.serial('ids smuggled in form fields are ignored: posts change only the session owner', async (t) => {
  const beforeB = await snapshot(B);
  await A.client.get('/portal/widget');
  const r = await A.client.post('/portal/widget', { subscriberId: B.id, id: B.id, slug: B.slug, primaryColor: '#123456', textColor: '#ffffff', buttonText: 'Mine', position: 'bottom-right', logoUrl: '', language: 'en' });
  t.is(r.status, 303);
  await A.client.get('/portal/profile');
  t.is((await A.client.post('/portal/profile', { subscriberId: B.id, name: 'A renamed', phone: '+1 202 555 0142', country: 'US', timezone: 'UTC' })).status, 303);
  await A.client.get('/portal/hours');
  t.is((await A.client.post('/portal/hours', { subscriberId: B.id, mon_open1: '08:00', mon_close1: '09:00' })).status, 303);
  t.deepEqual(await snapshot(B), beforeB);
  const a = (await snapshot(A)).subscriber[0];
  t.is(a.settings.skin.buttonText, 'Mine');
  t.is(a.name, 'A renamed');
});

test.serial("lists show only the session owner's rows", async (t) => {
  const requests = await A.client.get('/portal/requests');
  t.regex(requests.text, new RegExp(A.requestId));
  t.notRegex(requests.text, new RegExp(B.requestId));
  const deps = await A.client.get('/portal/departments');
  t.regex(deps.text, new RegExp(A.departmentId));
  t.notRegex(deps.text, new RegExp(B.departmentId));
  const domains = await A.client.get('/portal/domains');
  t.regex(domains.text, new RegExp(A.domainId));
  t.notRegex(domains.text, new RegExp(B.domainId));
});

test.serial("forged posts: B's session without B's CSRF token (a cross-site form) changes nothing", async (t) => {
  const before = await snapshot(B);
  await A.client.get('/portal');
  const forgedWithAToken = A.client.csrf;
  t.truthy(forgedWithAToken);
  t.not(forgedWithAToken, B.client.csrf);
  await B.client.get('/portal');
  for (const [path, form] of [
    [`/portal/domains/${B.domainId}/delete`, {}],
    ['/portal/widget', { primaryColor: '#000000', textColor: '#ffffff', buttonText: 'Forged', position: 'bottom-right', logoUrl: '', language: 'en' }],
    ['/portal/password', { currentPassword: 'x', newPassword: 'forged password 1', confirmPassword: 'forged password 1' }],
    [`/portal/requests/${B.requestId}/cancel`, {}],
  ] as [string, Record<string, string>][]) {
    t.is((await B.client.post(path, form, { csrf: null })).status, 403, path);
    t.is((await B.client.post(path, form, { csrf: forgedWithAToken })).status, 403, path);
  }
  t.deepEqual(await snapshot(B), before);
});

test.serial("a domain another tenant owns cannot be claimed, nor covered by a wildcard; a mere claim blocks nobody", async (t) => {
  const bHost = (await snapshot(B)).domains[0].host as string;
  const wildcard = `*.${bHost.split('.').slice(1).join('.')}`;
  await A.client.get('/portal/domains');
  // B has only claimed its host: a claim proves nothing, so it cannot keep anyone out (or squat on a site).
  t.is((await A.client.post('/portal/domains', { host: bHost })).status, 303);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM domains WHERE host = $1`, [bHost])).rows[0].n, 2);
  await s.c.pool.query(`DELETE FROM domains WHERE subscriber_id = $1 AND host = $2`, [A.id, bHost]);
  // Once B has proven the host (here marked as the verification route does), it is B's alone.
  await markDomainVerified(s.c.pool, B.id, B.domainId);
  t.is((await A.client.post('/portal/domains', { host: bHost })).status, 409);
  t.is((await A.client.post('/portal/domains', { host: wildcard })).status, 409);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM domains WHERE subscriber_id = $1 AND host LIKE '%example.com'`, [A.id])).rows[0].n, 1);
});
