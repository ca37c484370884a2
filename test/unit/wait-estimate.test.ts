import test from 'ava';
import { waitEstimateMinutes } from '../../src/reports/wait-estimate.ts';
import { remainingWaitSec } from '../../src/requests/status.service.ts';

test('no estimate from fewer than five recent requests', (t) => {
  t.is(waitEstimateMinutes([]), null);
  t.is(waitEstimateMinutes([30, 40, 50, 60]), null);
});

test('the median, rounded up to whole minutes and never below one: one long wait does not move it', (t) => {
  t.is(waitEstimateMinutes([10, 20, 30, 40, 50]), 1);
  t.is(waitEstimateMinutes([90, 100, 110, 120, 130, 3600]), 2);
  t.is(waitEstimateMinutes([300, 310, 320, 330, 340]), 6);
});

test('the remaining wait counts down from the typical one and stays at a minute once it has passed', (t) => {
  const made = new Date('2026-11-22T10:00:00Z');
  t.is(remainingWaitSec(null, made, made), null);
  t.is(remainingWaitSec(5, made, made), 300);
  t.is(remainingWaitSec(5, made, new Date('2026-11-22T10:02:00Z')), 180);
  t.is(remainingWaitSec(5, made, new Date('2026-11-22T10:30:00Z')), 60);
});
