import test from 'ava';
import { waitAtMost } from '../../src/platform/wait-at-most.ts';

test('waitAtMost: true when the work resolves in time, false when the time runs out first, a rejection passes through', async (t) => {
  t.true(await waitAtMost(new Promise((r) => setTimeout(r, 10)), 1000));
  const started = Date.now();
  t.false(await waitAtMost(new Promise(() => {}), 100));
  t.true(Date.now() - started >= 95, 'waited for the bound');
  await t.throwsAsync(waitAtMost(Promise.reject(new Error('boom')), 1000), { message: 'boom' });
});
