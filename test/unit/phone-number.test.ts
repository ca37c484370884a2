import test from 'ava';
import { parsePhone, dialDigits } from '../../src/phone/phone-number.ts';

test('national numbers take the subscriber country; result is E.164', (t) => {
  const r = parsePhone('(202) 555-0145', 'US');
  t.true(r.ok);
  if (r.ok) t.is(r.e164, '+12025550145');
  const fr = parsePhone('01 23 45 67 89', 'FR');
  t.true(fr.ok && fr.e164 === '+33123456789');
});

test('too short, invalid, empty and over-long inputs get distinct codes', (t) => {
  t.like(parsePhone('12', 'US'), { ok: false, code: 'phone_too_short' });
  t.like(parsePhone('hello', 'US'), { ok: false, code: 'phone_invalid' });
  t.like(parsePhone('', 'US'), { ok: false, code: 'phone_required' });
  t.like(parsePhone(undefined, 'US'), { ok: false, code: 'phone_required' });
  t.like(parsePhone('1'.repeat(60), 'US'), { ok: false, code: 'phone_too_long' });
});

test('number type is reported so policy can refuse premium numbers', (t) => {
  t.like(parsePhone('+1 900 555 0123', 'US'), { ok: true, type: 'PREMIUM_RATE' });
});

test('dial digits drop the plus', (t) => {
  t.is(dialDigits('+12025550145'), '12025550145');
});

test('a number is accepted exactly when libphonenumber calls it valid, with the type it gives', async (t) => {
  const { parsePhoneNumberWithError } = await import('libphonenumber-js/max');
  const inputs = [
    '+1 202 555 0145', '+1 900 555 0123', '+1 800 555 0123', '(202) 555-0145', '+1 555 555 5555', '+1 202 123 4567', '+44 20 7946 0958',
    '+44 7911 123456', '+44 1234', '01 23 45 67 89', '06 12 34 56 78', '+33 9 99 99 99 99', '+49 30 901820', '+49 1', '+7 800 555 35 35',
    '+61 2 9374 4000', '+81 3-1234-5678', '+999 123456', '+1 242 357 1234', '+1 684 633 1234',
  ];
  for (const country of ['US', 'FR', 'GB', 'DE']) {
    for (const input of inputs) {
      const r = parsePhone(input, country);
      let expected: { valid: boolean; type?: string; e164?: string } = { valid: false };
      try {
        const p = parsePhoneNumberWithError(input, { defaultCountry: country as 'US', extract: false });
        expected = p.isValid() ? { valid: true, type: p.getType(), e164: p.number } : { valid: false };
      } catch { /* not a number at all */ }
      t.is(r.ok, expected.valid, `${input} (${country})`);
      if (r.ok && expected.valid) t.deepEqual([r.e164, r.type], [expected.e164, expected.type], `${input} (${country})`);
    }
  }
});
