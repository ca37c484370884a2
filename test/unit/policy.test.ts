import test from 'ava';
import { checkDestination, policySettings } from '../../src/policy/destination-policy.ts';

/** An operator serving the three countries these tests dial, with the default number types. */
const operator = { countries: ['US', 'GB', 'FR', 'DE'], types: ['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'VOIP'] };
import { deriveKey, issueFormToken, signOptOut, verifyFormToken, verifyOptOut } from '../../src/policy/signed-token.ts';
import { parsePhone } from '../../src/phone/phone-number.ts';
import { retryWithinHours } from '../../src/calls/flow/retry-window.ts';
import type { BusinessHours } from '../../src/schedule/business-hours.ts';

const phone = (text: string, country = 'US') => {
  const p = parsePhone(text, country);
  if (!p.ok) throw new Error(`bad test number ${text}`);
  return p;
};

test('special number types are refused whatever the country settings', (t) => {
  const everywhere = policySettings({ policy: { allowedCountries: ['US', 'GB', 'FR'] } }, 'US', operator);
  for (const [n, what] of [['+1 900 555 0123', 'US premium'], ['+1 800 555 0100', 'US toll-free'], ['+44 70 1123 4567', 'UK personal'], ['+44 871 234 5678', 'UK premium'], ['+33 8 99 12 34 56', 'FR premium']]) {
    t.is(checkDestination(phone(n!), everywhere)?.code, 'number_type_refused', what);
  }
  for (const n of ['+1 202 555 0131', '+44 7946 095800', '+33 6 12 34 56 78']) t.is(checkDestination(phone(n), everywhere), null, n);
});

test('destination countries default to the subscriber own country', (t) => {
  const own = policySettings({}, 'US', operator);
  t.deepEqual(own.allowedCountries, ['US']);
  t.is(checkDestination(phone('+44 20 7946 0958'), own)?.code, 'country_not_allowed');
  // +1 is shared by many countries: a Jamaican mobile is not a US number.
  t.is(checkDestination(phone('+1 876 555 0100'), own)?.code, 'country_not_allowed');
  t.is(checkDestination(phone('+1 202 555 0131'), own), null);
});

test('policy settings: countries are normalised, junk ignored, daily limit only when a positive integer', (t) => {
  t.deepEqual(policySettings({ policy: { allowedCountries: ['fr', 'X', 3, 'de'], dailyLimit: 50 } }, 'US', operator), { allowedCountries: ['FR', 'DE'], allowedTypes: operator.types, dailyLimit: 50 });
  t.deepEqual(policySettings({ policy: { allowedCountries: [], dailyLimit: -1 } }, 'gb', operator), { allowedCountries: ['GB'], allowedTypes: operator.types, dailyLimit: null });
});

const key = deriveKey('a-long-enough-secret-for-tests', 'form-token');
const opts = { ttlSec: 3600, minAgeMs: 2000 };

test('form tokens: valid for their subscriber within their lifetime', (t) => {
  const now = Date.UTC(2025, 5, 1);
  const token = issueFormToken(key, 'demo', now);
  const ok = verifyFormToken(key, token, 'demo', now + 5000, opts);
  t.true(ok.ok);
  if (ok.ok) t.is(ok.claims.slug, 'demo');
  t.deepEqual(verifyFormToken(key, token, 'other-shop', now + 5000, opts), { ok: false, code: 'form_token_invalid' });
  t.deepEqual(verifyFormToken(key, token, 'demo', now + 3601_000, opts), { ok: false, code: 'form_token_expired' });
  t.deepEqual(verifyFormToken(key, token, 'demo', now + 500, opts), { ok: false, code: 'form_token_too_fast' });
  t.deepEqual(verifyFormToken(key, undefined, 'demo', now, opts), { ok: false, code: 'form_token_missing' });
});

test('form tokens: any change to the token, or another key, breaks it', (t) => {
  const now = Date.UTC(2025, 5, 1);
  const token = issueFormToken(key, 'demo', now);
  const [v, slug, issued, nonce, sig] = token.split('.');
  const later = (Number.parseInt(issued!, 36) + 86_400_000).toString(36);
  t.false(verifyFormToken(key, [v, slug, later, nonce, sig].join('.'), 'demo', now + 5000, opts).ok);
  t.false(verifyFormToken(key, [v, slug, issued, 'other', sig].join('.'), 'demo', now + 5000, opts).ok);
  t.false(verifyFormToken(deriveKey('another-secret-of-enough-length', 'form-token'), token, 'demo', now + 5000, opts).ok);
  // An opt-out key cannot have made it either.
  t.false(verifyFormToken(deriveKey('a-long-enough-secret-for-tests', 'opt-out'), token, 'demo', now + 5000, opts).ok);
  t.false(verifyFormToken(key, 'x'.repeat(400), 'demo', now, opts).ok);
});

test('opt-out links name one number and cannot be altered to name another', (t) => {
  const k = deriveKey('a-long-enough-secret-for-tests', 'opt-out');
  const link = signOptOut(k, '+12025550131');
  t.is(verifyOptOut(k, link), '+12025550131');
  const other = Buffer.from('+12025550132').toString('base64url');
  t.is(verifyOptOut(k, `${other}.${link.split('.')[1]}`), null);
  t.is(verifyOptOut(k, 'garbage'), null);
  t.is(verifyOptOut(key, link), null);
});

test('retries are moved into business hours unless the subscriber allows otherwise', (t) => {
  const hours: BusinessHours = { timezone: 'America/New_York', weekly: { mon: [{ open: '09:00', close: '17:00' }] }, holidays: [] };
  const friday = new Date('2025-06-13T22:00:00Z'); // Friday 18:00 EDT, closed
  const monday = '2025-06-16T13:00:00.000Z';
  const deadline = new Date('2025-06-20T00:00:00Z');
  const moved = retryWithinHours({ action: 'retry', at: friday }, { hours, outsideHours: false, deadline });
  t.deepEqual(moved, { action: 'retry', at: new Date(monday) });
  t.deepEqual(retryWithinHours({ action: 'retry', at: friday }, { hours, outsideHours: true, deadline }), { action: 'retry', at: friday });
  t.is(retryWithinHours({ action: 'retry', at: friday }, { hours, outsideHours: false, deadline: new Date('2025-06-14T00:00:00Z') }).action, 'expire');
  t.deepEqual(retryWithinHours({ action: 'complete' }, { hours, outsideHours: false, deadline }), { action: 'complete' });
});
