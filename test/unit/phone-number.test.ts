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
