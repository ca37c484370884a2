import test from 'ava';
import { parseDepartment, parseDomainList, parseHoursForm, parseSignup, parseSkinForm, RESERVED_SLUGS, slugCandidates, slugify } from '../../src/portal/portal-forms.ts';
import { skinFromSettings, DEFAULT_SKIN } from '../../src/subscribers/settings.ts';
import { buildDirectory, etagMatches, etagOf } from '../../src/directory/directory.service.ts';
import { codeMatches, codeMedia, generateCode, hashCode, parseVerificationId } from '../../src/verification/verification-code.ts';

const signup = { name: 'Acme', email: 'A@Example.com', password: 'long enough pw', domains: 'acme.example, *.acme.example', phone: '(202) 555-0142', country: 'US', timezone: 'America/New_York' };

test('sign-up form: clean values out, email lowercased, phone in E.164, domains normalised', (t) => {
  const r = parseSignup(signup);
  t.true(r.ok);
  if (!r.ok) return;
  t.deepEqual(r.value, { name: 'Acme', email: 'a@example.com', password: 'long enough pw', domains: ['acme.example', '*.acme.example'], phoneE164: '+12025550142', country: 'US', timezone: 'America/New_York' });
});

test('sign-up form: every bad field reported', (t) => {
  const r = parseSignup({ name: 'A', email: 'x', password: 'short', domains: '', phone: '12', country: 'ZZ', timezone: 'Mars/Base' });
  t.false(r.ok);
  if (r.ok) return;
  t.deepEqual(r.errors.map((e) => e.field).sort(), ['country', 'domains', 'email', 'name', 'password', 'phone', 'timezone']);
  const premium = parseSignup({ ...signup, phone: '+1 900 555 0123' });
  t.false(premium.ok);
});

test('domain list: separators, duplicates, limit', (t) => {
  t.deepEqual(parseDomainList('a.example\nA.example  b.example,'), { ok: true, value: ['a.example', 'b.example'] });
  t.false(parseDomainList(Array.from({ length: 21 }, (_, i) => `h${i}.example`).join(' ')).ok);
});

test('slugs: ascii, dashes, fitting the slug check; numbered alternatives', (t) => {
  t.is(slugify('Élan Café & Co'), 'elan-cafe-co');
  t.is(slugify('  ACME  Ltd. '), 'acme-ltd');
  t.is(slugify('日本'), 'shop-x');
  t.is(slugify('A'), 'shop-a');
  t.true(slugify('x'.repeat(100)).length <= 40);
  for (const name of ['Élan', '!!!', 'a-', 'Über Shop GmbH']) t.regex(slugify(name), /^[a-z0-9][a-z0-9-]{1,62}$/);
  t.deepEqual(slugCandidates('Acme', () => 'abc'), ['acme', 'acme-2', 'acme-3', 'acme-4', 'acme-5', 'acme-abc']);
});

test("slugs: a name whose slug is the demo's or one of Beckon's paths gets another", (t) => {
  t.deepEqual(slugCandidates('Demo', () => 'abc'), ['demo-2', 'demo-3', 'demo-4', 'demo-5', 'demo-abc']);
  for (const name of ['Demo', ' DÉMO! ', 'Admin', 'Portal', 'API', 'Agent', 'Static', 'Widget', 'Healthz', 'Readyz', 'Metrics', 'Login', 'Sign-up', 'Signup']) {
    const candidates = slugCandidates(name, () => 'abc');
    t.false(candidates.some((c) => RESERVED_SLUGS.has(c)), name);
    for (const c of candidates) t.regex(c, /^[a-z0-9][a-z0-9-]{1,62}$/, name);
  }
  t.is(slugCandidates('Demo Shop', () => 'abc')[0], 'demo-shop', 'only the whole slug is reserved');
});

test('department form: agents need no phone, a phone department needs a valid number', (t) => {
  t.deepEqual(parseDepartment({ name: ' Help  desk ', answeredBy: 'agents', phone: 'junk', position: '3' }, 'US'), { ok: true, value: { name: 'Help desk', answeredBy: 'agents', phoneE164: null, position: 3 } });
  t.false(parseDepartment({ name: 'Sales', answeredBy: 'phone', phone: '', position: '0' }, 'US').ok);
  t.false(parseDepartment({ name: 'Sales', answeredBy: 'phone', phone: '2025550142', position: '-1' }, 'US').ok);
  t.deepEqual(parseDepartment({ name: 'Ventes', phone: '01 23 45 67 89' }, 'FR'), { ok: true, value: { name: 'Ventes', answeredBy: 'phone', phoneE164: '+33123456789', position: 0 } });
});

test('hours form: two intervals per day, overnight allowed, holidays sorted and deduplicated, bad times refused', (t) => {
  const r = parseHoursForm({ mon_open1: '09:00', mon_close1: '17:00', sat_open1: '22:00', sat_close1: '02:00', sun_open2: '10:00', sun_close2: '24:00', holidays: '2026-12-25 2026-01-01\n2026-12-25' });
  t.true(r.ok);
  if (r.ok) {
    t.deepEqual(r.value.weekly?.mon, [{ open: '09:00', close: '17:00' }]);
    t.deepEqual(r.value.weekly?.sun, [{ open: '10:00', close: '24:00' }]);
    t.deepEqual(r.value.weekly?.tue, []);
    t.deepEqual(r.value.holidays, ['2026-01-01', '2026-12-25']);
  }
  t.false(parseHoursForm({ mon_open1: '09:00' }).ok);
  t.false(parseHoursForm({ mon_open1: '9am', mon_close1: '17:00' }).ok);
  t.false(parseHoursForm({ holidays: '2026-13-01' }).ok);
});

test('skin: validated colours and URLs, stored junk falls back to defaults', (t) => {
  const ok = parseSkinForm({ primaryColor: '#ABCDEF', textColor: '#000000', buttonText: ' Call us ', position: 'bottom-left', logoUrl: '', language: 'de' });
  t.deepEqual(ok, { ok: true, value: { primaryColor: '#abcdef', textColor: '#000000', buttonText: 'Call us', position: 'bottom-left', logoUrl: null, language: 'de' } });
  t.false(parseSkinForm({ ...DEFAULT_SKIN, logoUrl: 'javascript:alert(1)' }).ok);
  t.false(parseSkinForm({ ...DEFAULT_SKIN, primaryColor: 'red;background:url(x)' }).ok);
  t.deepEqual(skinFromSettings({ skin: { primaryColor: 'expression(1)', buttonText: 'Hi', logoUrl: 'data:x' } }), { ...DEFAULT_SKIN, buttonText: 'Hi' });
  t.deepEqual(skinFromSettings({}), DEFAULT_SKIN);
});

test('directory: only departments that can take calls, no phone numbers, open/next opening from hours', (t) => {
  const base = { id: 's1', slug: 'acme', name: 'Acme', email: 'a@x', country: 'US', timezone: 'UTC', phoneE164: '+12025550142', phoneVerifiedAt: new Date(), status: 'active' as const };
  const deps = [
    { id: 'd1', subscriberId: 's1', name: 'Sales', answeredBy: 'phone' as const, phoneE164: '+12025550161', phoneVerifiedAt: new Date(), position: 1 },
    { id: 'd2', subscriberId: 's1', name: 'New', answeredBy: 'phone' as const, phoneE164: '+12025550162', phoneVerifiedAt: null, position: 2 },
    { id: 'd3', subscriberId: 's1', name: 'Desk', answeredBy: 'agents' as const, phoneE164: null, phoneVerifiedAt: null, position: 3 },
  ];
  const settings = { hours: { weekly: { mon: [{ open: '09:00', close: '17:00' }] } } };
  const monday8 = new Date('2026-11-23T08:00:00Z');
  const staffed = { anyDepartment: true, departmentIds: [] };
  const nobody = { anyDepartment: false, departmentIds: [] };
  const d = buildDirectory({ subscriber: { ...base, settings }, departments: deps, agents: staffed }, monday8);
  t.deepEqual(d.departments, [{ id: 'd1', name: 'Sales' }, { id: 'd3', name: 'Desk' }]);
  // Answered by agents with none assigned: not offered.
  t.deepEqual(buildDirectory({ subscriber: { ...base, settings }, departments: deps, agents: nobody }, monday8).departments, [{ id: 'd1', name: 'Sales' }]);
  t.deepEqual(buildDirectory({ subscriber: { ...base, settings }, departments: deps, agents: { anyDepartment: false, departmentIds: ['d3'] } }, monday8).departments.map((x) => x.id), ['d1', 'd3']);
  // A subscriber answered by agents with nobody assigned and no usable department is not ready.
  t.false(buildDirectory({ subscriber: { ...base, settings: { answeredBy: 'agents' } }, departments: [deps[1]!], agents: nobody }, monday8).ready);
  t.false(d.open);
  t.is(d.nextOpening, '2026-11-23T09:00:00.000Z');
  t.true(d.ready);
  t.notRegex(JSON.stringify(d), /\+\d{8,}/);
  const open = buildDirectory({ subscriber: { ...base, settings }, departments: [], agents: nobody }, new Date('2026-11-23T10:00:00Z'));
  t.true(open.open);
  t.is(open.nextOpening, null);
  const unverified = buildDirectory({ subscriber: { ...base, phoneVerifiedAt: null, settings: {} }, departments: [], agents: nobody }, monday8);
  t.false(unverified.ready);
  t.true(unverified.open); // no hours set: always open
});

test('ETag: same body same tag; If-None-Match lists, weak forms and * match', (t) => {
  const e = etagOf('{"a":1}');
  t.is(e, etagOf('{"a":1}'));
  t.not(e, etagOf('{"a":2}'));
  t.true(etagMatches(e, e));
  t.true(etagMatches(`"x", ${e.replace('W/', '')}`, e));
  t.true(etagMatches('*', e));
  t.false(etagMatches('"other"', e));
  t.false(etagMatches(undefined, e));
});

test('verification codes: six digits, HMAC bound to the verification, typed with spaces OK', (t) => {
  for (let i = 0; i < 50; i++) t.regex(generateCode(), /^\d{6}$/);
  const h = hashCode('secret', 'v1', '012345');
  t.true(codeMatches('secret', 'v1', '012 345', h));
  t.false(codeMatches('secret', 'v2', '012345', h));
  t.false(codeMatches('other', 'v1', '012345', h));
  t.false(codeMatches('secret', 'v1', '12345', h));
  t.false(codeMatches('secret', 'v1', '012345', null));
  t.deepEqual(codeMedia('012345').filter((m) => m.startsWith('digits:')), ['digits:012345', 'digits:012345']);
  t.deepEqual(parseVerificationId('bkver-6f1c2e3a-1b2c-4d5e-8f90-123456789abc-code'), { verificationId: '6f1c2e3a-1b2c-4d5e-8f90-123456789abc', playback: true });
  t.is(parseVerificationId('bk-v-6f1c2e3a-1b2c-4d5e-8f90-123456789abc'), null);
});
