import test from 'ava';
import { billedSeconds, chargeCents, findRate, rateLeg, parseMicros, parseCents, formatCents, formatMicros, destinationDigits, type Rate } from '../../src/accounting/rating.ts';

const rate = (prefix: string, price: number, min = 60, inc = 60, minCharge = 0, planId: string | null = null): Rate =>
  ({ planId, prefix, pricePerMinMicros: price, minSeconds: min, incrementSeconds: inc, minChargeCents: minCharge });

test('60/60: every started minute is billed in full', (t) => {
  const r = rate('1', 12_000);
  t.deepEqual([0, 1, 59, 60, 61, 120, 121].map((s) => billedSeconds(s, r)), [0, 60, 60, 60, 120, 120, 180]);
});

test('30/6: a 30 s minimum, then 6 s steps', (t) => {
  const r = rate('44', 0, 30, 6);
  t.deepEqual([1, 29, 30, 31, 36, 37, 95].map((s) => billedSeconds(s, r)), [30, 30, 30, 36, 36, 42, 96]);
});

test('1/1 and 0/6 schemes', (t) => {
  t.is(billedSeconds(47, rate('1', 0, 1, 1)), 47);
  t.is(billedSeconds(7, rate('1', 0, 0, 6)), 12);
});

test('charge is rounded up to the cent once, with integer arithmetic', (t) => {
  // 0.012/min for 60 s = 1.2 cents -> 2 cents
  t.is(chargeCents(60, { pricePerMinMicros: 12_000, minChargeCents: 0 }), 2);
  // 0.10/min for 36 s = exactly 6 cents
  t.is(chargeCents(36, { pricePerMinMicros: 100_000, minChargeCents: 0 }), 6);
  // 0.10/min for 42 s = 7 cents exactly; 0.123456/min for 3600 s = 740.736 cents -> 741
  t.is(chargeCents(42, { pricePerMinMicros: 100_000, minChargeCents: 0 }), 7);
  t.is(chargeCents(3600, { pricePerMinMicros: 123_456, minChargeCents: 0 }), 741);
  // a float would give 0.07 * 100 = 7.000000000000001 and ceil to 8; integers give 7
  t.is(chargeCents(60, { pricePerMinMicros: 70_000, minChargeCents: 0 }), 7);
  // huge durations stay exact
  // 10 h at 999.999999/min = 599999.99940 -> 60000000 cents
  t.is(chargeCents(10 * 3600, { pricePerMinMicros: 999_999_999, minChargeCents: 0 }), 60_000_000);
});

test('minimum charge applies to answered legs only', (t) => {
  t.is(chargeCents(30, { pricePerMinMicros: 10_000, minChargeCents: 5 }), 5);
  t.is(chargeCents(0, { pricePerMinMicros: 10_000, minChargeCents: 5 }), 0);
});

test('longest prefix wins; a plan overrides the base table at equal length only', (t) => {
  const rates = [rate('', 150_000), rate('1', 12_000), rate('1202', 9_000), rate('1', 5_000, 60, 60, 0, 'gold'), rate('44', 20_000, 60, 60, 0, 'gold')];
  t.is(findRate(rates, '12025550111', null)!.pricePerMinMicros, 9_000);
  t.is(findRate(rates, '13105550111', null)!.pricePerMinMicros, 12_000);
  t.is(findRate(rates, '13105550111', 'gold')!.pricePerMinMicros, 5_000);
  t.is(findRate(rates, '12025550111', 'gold')!.pricePerMinMicros, 9_000);
  t.is(findRate(rates, '442071234567', null)!.pricePerMinMicros, 150_000, "another plan's rate is not used");
  t.is(findRate(rates, '442071234567', 'gold')!.pricePerMinMicros, 20_000);
  t.is(findRate([rate('1', 1)], '33123456789', null), null);
});

test('rateLeg: answered, busy, unanswered, and an agent endpoint', (t) => {
  const rates = [rate('1202', 100_000, 30, 6, 3)];
  t.deepEqual(rateLeg(37, '+12025550141', rates, null), { ratePrefix: '1202', pricePerMinMicros: 100_000, billedSec: 42, chargeCents: 7 });
  t.deepEqual(rateLeg(5, '+12025550141', rates, null), { ratePrefix: '1202', pricePerMinMicros: 100_000, billedSec: 30, chargeCents: 5 });
  t.deepEqual(rateLeg(0, '+12025550150', rates, null), { ratePrefix: '1202', pricePerMinMicros: 100_000, billedSec: 0, chargeCents: 0 });
  t.deepEqual(rateLeg(120, null, rates, null), { ratePrefix: null, pricePerMinMicros: null, billedSec: 0, chargeCents: 0 });
  t.is(destinationDigits('agent1'), null);
});

test('money parsing and formatting is exact', (t) => {
  t.is(parseMicros('0.012'), 12_000);
  t.is(parseMicros('1.5'), 1_500_000);
  t.is(parseMicros('0.1234567'), null);
  t.is(parseMicros('-1'), null);
  t.is(parseCents('12.3'), 1230);
  t.is(parseCents('0.07'), 7);
  t.is(formatCents(741), '7.41');
  t.is(formatCents(5), '0.05');
  t.is(formatMicros(12_000), '0.012');
  t.is(formatMicros(1_500_000), '1.50');
  t.throws(() => billedSeconds(1.5, rate('1', 1)));
});
