import test from 'ava';
import { ceilingReason, ceilingRefusal } from '../../src/policy/call-ceiling.ts';

const HOUR = { points: 3, seconds: 3600 };
const DAY = { points: 6, seconds: 86_400 };
const now = 1_000_000_000;
const min = 60_000;

test('a call fits while every window has room', (t) => {
  t.is(ceilingRefusal([], now, [HOUR, DAY]), null);
  t.is(ceilingRefusal([now - 5 * min, now - 10 * min], now, [HOUR, DAY]), null);
});

test('the hour window refuses the fourth call, until its oldest call is an hour old', (t) => {
  const times = [now - 50 * min, now - 20 * min, now - min];
  const r = ceilingRefusal(times, now, [HOUR, DAY]);
  t.deepEqual(r, { window: HOUR, retryAfterMs: 10 * min });
  // Calls older than the window no longer count.
  t.is(ceilingRefusal(times, now + 10 * min, [HOUR, DAY]), null);
});

test('the day window counts calls the hour window has forgotten', (t) => {
  const times = [now - 20 * 3600_000, now - 10 * 3600_000, now - 9 * 3600_000, now - 8 * 3600_000, now - 7 * 3600_000, now - 2 * 3600_000];
  const r = ceilingRefusal(times, now, [HOUR, DAY]);
  t.is(r?.window, DAY);
  t.is(r?.retryAfterMs, 4 * 3600_000);
});

test('a window of zero calls refuses everything for its whole length', (t) => {
  t.deepEqual(ceilingRefusal([], now, [{ points: 0, seconds: 60 }]), { window: { points: 0, seconds: 60 }, retryAfterMs: 60_000 });
});

test('the reason names the ceiling', (t) => {
  t.is(ceilingReason(HOUR), 'not called: this number was already called 3 times in 1 h');
  t.is(ceilingReason({ points: 2, seconds: 90 }), 'not called: this number was already called 2 times in 90 s');
});
