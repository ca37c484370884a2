import test from 'ava';
import { waitAtMost, withDeadline } from '../../src/platform/wait-at-most.ts';

test('waitAtMost: true when the work resolves in time, false when the time runs out first, a rejection passes through', async (t) => {
  t.true(await waitAtMost(new Promise((r) => setTimeout(r, 10)), 1000));
  const started = Date.now();
  t.false(await waitAtMost(new Promise(() => {}), 100));
  t.true(Date.now() - started >= 95, 'waited for the bound');
  await t.throwsAsync(waitAtMost(Promise.reject(new Error('boom')), 1000), { message: 'boom' });
});

test('withDeadline: the work\'s value in time, the caller\'s error when the time runs out first, a rejection passes through', async (t) => {
  t.is(await withDeadline(new Promise((r) => setTimeout(() => r(7), 10)), 1000, () => new Error('late')), 7);
  await t.throwsAsync(withDeadline(new Promise(() => {}), 50, () => new Error('late')), { message: 'late' });
  await t.throwsAsync(withDeadline(Promise.reject(new Error('boom')), 1000, () => new Error('late')), { message: 'boom' });
});
