import test from 'ava';
import { checkDestination, operatorDestinations, operatorPolicy, policySettings } from '../../src/policy/destination-policy.ts';
import { calleePhoneRefusal, presentedNumber, visitorRefusal } from '../../src/calls/flow/dial-check.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { parsePhone } from '../../src/phone/phone-number.ts';
import { departmentRecord, subscriberRecord } from '../helpers/records.ts';
import { transition } from '../../src/calls/flow/call-state.ts';
import { DEFAULT_RETRY_POLICY, nextStep } from '../../src/calls/flow/retry-policy.ts';

const phone = (text: string, country = 'US') => {
  const p = parsePhone(text, country);
  if (!p.ok) throw new Error(`bad test number ${text}`);
  return p;
};
const TYPES = ['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'VOIP'];
const usOnly = { countries: ['US'], types: TYPES };

test('the operator policy defaults to the installation country and the ordinary number types', (t) => {
  const c = loadConfig({});
  t.deepEqual(operatorDestinations(c), { countries: ['US'], types: TYPES });
  t.deepEqual(operatorDestinations(loadConfig({ INSTALL_COUNTRY: 'fr' })).countries, ['FR']);
  t.deepEqual(operatorDestinations(loadConfig({ DIAL_ALLOWED_COUNTRIES: 'us, ca,US', DIAL_ALLOWED_TYPES: 'mobile' })), { countries: ['US', 'CA'], types: ['MOBILE'] });
  t.throws(() => loadConfig({ DIAL_ALLOWED_COUNTRIES: 'USA' }), { message: /DIAL_ALLOWED_COUNTRIES/ });
  t.throws(() => loadConfig({ DIAL_ALLOWED_TYPES: 'MOBILE,SATELLITE' }), { message: /DIAL_ALLOWED_TYPES/ });
});

test('a subscriber can only narrow the operator countries', (t) => {
  const operator = { countries: ['US', 'CA'], types: TYPES };
  t.deepEqual(policySettings({ policy: { allowedCountries: ['US', 'GB', 'CU'] } }, 'US', operator).allowedCountries, ['US']);
  t.deepEqual(policySettings({}, 'CA', operator).allowedCountries, ['CA']);
  const p = policySettings({ policy: { allowedCountries: ['CU', 'GB'] } }, 'US', operator);
  t.is(checkDestination(phone('+53 5 234 5671'), p)?.code, 'country_not_served');
});

test('a subscriber whose own country the operator does not serve has nothing dialable', (t) => {
  // Editing the profile country to CU must not open Cuba, whatever the subscriber lists.
  const cu = policySettings({ policy: { allowedCountries: ['CU', 'US'] } }, 'CU', usOnly);
  t.deepEqual(cu.allowedCountries, []);
  t.is(checkDestination(phone('+53 5 234 5671'), cu)?.code, 'country_not_served');
  t.is(checkDestination(phone('+1 202 555 0131'), cu)?.code, 'country_not_served');
});

test('number types come from the operator: satellite, Caribbean +1, toll-free and premium are refused by default', (t) => {
  const ops = operatorPolicy(usOnly);
  t.truthy(checkDestination(phone('+881 6 1234 5671'), ops), 'satellite');
  t.is(checkDestination(phone('+1 876 555 1231'), ops)?.code, 'country_not_allowed');
  t.is(checkDestination(phone('+1 800 555 0100'), ops)?.code, 'number_type_refused');
  t.is(checkDestination(phone('+1 900 555 0123'), ops)?.code, 'number_type_refused');
  t.is(checkDestination(phone('+1 202 555 0131'), ops), null);
  const mobileOnly = operatorPolicy({ countries: ['GB'], types: ['MOBILE'] });
  t.is(checkDestination(phone('+44 20 7946 0958'), mobileOnly)?.code, 'number_type_refused');
  t.is(checkDestination(phone('+44 7946 095800'), mobileOnly), null);
});

const sub = subscriberRecord;
const dep = departmentRecord;

test('dial check: the visitor number passes the same policy as at accept, for the subscriber as it is now', (t) => {
  t.is(visitorRefusal('+12025550131', sub(), usOnly), null);
  t.is(visitorRefusal('+5352345671', sub({ country: 'CU', settings: { policy: { allowedCountries: ['CU'] } } }), usOnly)?.code, 'country_not_served');
  t.is(visitorRefusal('+442079460958', sub({ settings: { policy: { allowedCountries: ['GB'] } } }), usOnly)?.code, 'country_not_served');
  t.is(visitorRefusal('+18005550100', sub(), usOnly)?.code, 'number_type_refused');
  t.regex(visitorRefusal('+18765551231', sub(), usOnly)!.reason, /^refused: /);
});

test('dial check: the callee phone must be a verified number of the request and within the operator policy', (t) => {
  t.is(calleePhoneRefusal('+12025550111', sub(), null, usOnly), null);
  // Changed in the portal: verification cleared.
  t.is(calleePhoneRefusal('+5352345682', sub({ phoneE164: '+5352345682', phoneVerifiedAt: null }), null, usOnly)?.code, 'callee_not_verified');
  // The number set up for the dial is no longer the subscriber's.
  t.is(calleePhoneRefusal('+12025550111', sub({ phoneE164: '+12025550199' }), null, usOnly)?.code, 'callee_not_verified');
  t.is(calleePhoneRefusal('+12025550122', sub(), dep(), usOnly), null);
  t.is(calleePhoneRefusal('+12025550122', sub(), dep({ phoneVerifiedAt: null }), usOnly)?.code, 'callee_not_verified');
  t.is(calleePhoneRefusal(undefined, sub(), null, usOnly)?.code, 'callee_not_verified');
  // Verified long ago, but the operator no longer dials there.
  t.is(calleePhoneRefusal('+442079460958', sub({ phoneE164: '+442079460958' }), null, usOnly)?.code, 'callee_not_allowed');
});

test('caller id: only a verified number is ever presented', (t) => {
  t.is(presentedNumber(sub(), dep()), '+12025550111');
  t.is(presentedNumber(sub({ phoneVerifiedAt: null }), dep()), '+12025550122');
  t.is(presentedNumber(sub({ phoneVerifiedAt: null }), dep({ phoneVerifiedAt: null })), null);
  t.is(presentedNumber(sub({ phoneVerifiedAt: null }), null), null);
});

test('call state: a callee leg refused at dial time ends the attempt `refused`, hangs up the visitor, and is never retried', (t) => {
  const tr = transition('callee_ringing', { type: 'callee.refused', reason: 'refused: not verified' }, { confirm: true, confirmKey: '1', optOutKey: '9', visitorUp: true, calleeUp: false });
  t.is(tr.to, 'ended');
  t.deepEqual(tr.outcome, { outcome: 'refused', cause: null, causeTxt: 'refused: not verified' });
  t.deepEqual(tr.effects.map((e) => e.kind), ['hangup_visitor', 'destroy_bridge']);
  const step = nextStep({ outcome: 'refused', attemptsDone: 1, createdAt: new Date(), now: new Date(), policy: DEFAULT_RETRY_POLICY });
  t.is(step.action, 'fail');
});
