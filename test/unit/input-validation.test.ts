import test from 'ava';
import { isUuid } from '../../src/platform/validation/ids.ts';
import { hasControlChars, singleLine, sipSafe, withoutControlChars } from '../../src/platform/validation/text.ts';
import { safeEqual } from '../../src/auth/safe-equal.ts';
import { bodyProblem } from '../../src/web/middleware/input-guard.ts';
import { callerId } from '../../src/calls/flow/dial-strings.ts';
import { localToIso } from '../../src/widget/hosted-form.routes.ts';

test('isUuid: only 8-4-4-4-12 hex, whatever else matches [0-9a-f-]{36}', (t) => {
  t.true(isUuid('0b5f1e7a-1c2d-4e3f-8a9b-0c1d2e3f4a5b'));
  t.true(isUuid('0B5F1E7A-1C2D-4E3F-8A9B-0C1D2E3F4A5B'));
  for (const bad of ['-'.repeat(36), 'ffffffff-ffff-ffff-ffff-fffffffffff-', '0b5f1e7a1c2d4e3f8a9b0c1d2e3f4a5b', '0b5f1e7a-1c2d-4e3f-8a9b-0c1d2e3f4a5b\u0000', '', null, 42]) {
    t.false(isUuid(bad), String(bad));
  }
});

test('control characters: NUL, ESC, DEL and C1 refused; tab and line breaks are text', (t) => {
  for (const bad of ['\u0000', 'a\u0001', '\u001b[31m', '\u007f', '\u0085', '\u009b']) t.true(hasControlChars(bad), JSON.stringify(bad));
  for (const ok of ['plain', 'two\r\nlines', 'tab\there', 'é ü 漢字 🙂']) t.false(hasControlChars(ok), ok);
  t.is(singleLine('Eve\r\nX-Evil: 1\tend'), 'Eve X-Evil: 1 end');
  t.is(withoutControlChars('"A" <1>\r\nVia: x'), '"A" <1>  Via: x');
});

test('caller ids carry no CR/LF, quotes or angle brackets from a visitor name', (t) => {
  t.is(callerId('Eve\r\nP-Asserted-Identity: <sip:1@evil>', '+12025550141'), '"Eve P-Asserted-Identity: sip:1@evil" <+12025550141>');
  t.is(callerId('\u0000\r\n', '+12025550141'), '+12025550141');
  t.is(callerId('"Bob" <x>', '+1202\r\n5550141'), '"Bob x" <+1202 5550141>');
  t.is(sipSafe('a\u2028b'), 'a b');
  t.false(/[\r\n]/.test(callerId('x'.repeat(39) + '\r\n' + 'y', '+1')));
});

test('safeEqual compares bytes: a multibyte string of the same length is unequal, not a throw', (t) => {
  const token = 'a'.repeat(32);
  t.true(safeEqual(token, token));
  t.false(safeEqual('é' + 'a'.repeat(31), token));
  t.false(safeEqual(Buffer.alloc(31), Buffer.alloc(32)));
});

test('bodyProblem: control characters in values or keys, and nesting past the limit, without recursion', (t) => {
  t.is(bodyProblem({ a: 'x', b: [1, 'y', { c: null }] }), null);
  t.is(bodyProblem({ a: ['ok', 'n\u0000'] }), 'control');
  t.is(bodyProblem({ ['k\u0000']: 1 }), 'control');
  let deep: unknown = 'x';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  t.is(bodyProblem(deep), 'depth');
});

test('localToIso: whole minutes within ±14 h, else a 400', (t) => {
  t.is(localToIso('2026-12-25T10:00', '60'), '2026-12-25T11:00:00.000Z');
  t.is(localToIso('2026-12-25T10:00', undefined), '2026-12-25T10:00:00.000Z');
  t.is(localToIso(undefined, '1e308'), null);
  for (const bad of ['1e308', 'NaN', '841', '-841', '1.5', 'abc']) {
    t.like(t.throws(() => localToIso('2026-12-25T10:00', bad)), { status: 400 }, bad);
  }
});
