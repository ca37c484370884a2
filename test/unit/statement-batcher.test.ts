import test from 'ava';
import { createBatcher, isDataError } from '../../src/platform/db/statement-batcher.ts';

test('items handed in together go in one batch, and each caller gets its own result', async (t) => {
  const batches: number[][] = [];
  const double = createBatcher(async (items: number[]) => { batches.push(items); return items.map((i) => i * 2); });
  const out = await Promise.all([1, 2, 3, 4].map(double));
  t.deepEqual(out, [2, 4, 6, 8]);
  t.deepEqual(batches, [[1, 2, 3, 4]]);
});

test('while a batch runs, newcomers wait and go together in the next one', async (t) => {
  const batches: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const run = createBatcher(async (items: number[]) => { batches.push(items); if (batches.length === 1) await gate; return items; });
  const first = run(1);
  await new Promise((r) => setImmediate(r));
  const later = [run(2), run(3), run(4)];
  await new Promise((r) => setImmediate(r));
  t.is(batches.length, 1);
  release();
  t.deepEqual(await Promise.all([first, ...later]), [1, 2, 3, 4]);
  t.deepEqual(batches, [[1], [2, 3, 4]]);
});

test('a batch that fails on one bad item is retried item by item: only that caller gets the error', async (t) => {
  const run = createBatcher(async (items: number[]) => {
    if (items.includes(13)) throw Object.assign(new Error('bad row'), { code: '23503' });
    return items;
  }, { retrySingly: (err) => (err as { code?: string }).code === '23503' });
  const results = await Promise.allSettled([1, 13, 3].map(run));
  t.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
});

test('a failure that is not the data\'s fault fails every item of the batch without retries', async (t) => {
  let calls = 0;
  const run = createBatcher(async (_items: number[]) => { calls++; throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' }); },
    { retrySingly: (err) => (err as { code?: string }).code === '23503' });
  const results = await Promise.allSettled([1, 2, 3].map(run));
  t.true(results.every((r) => r.status === 'rejected'));
  t.is(calls, 1);
});

test('isDataError tells item errors (retried one by one) from a lost server (fails the batch)', (t) => {
  t.true(isDataError({ code: '23505' }));
  t.true(isDataError({ code: '22P02' }));
  t.true(isDataError({ code: '40P01' }));
  t.false(isDataError({ code: '08006' }));
  t.false(isDataError({ code: '57P01' }));
  t.false(isDataError({ code: '53300' }));
  t.false(isDataError(new Error('Connection terminated')));
  t.false(isDataError({ code: 'ECONNREFUSED' }));
});

test('a lingering batcher holds a lone item for others to join, and runs what piled up behind a batch at once', async (t) => {
  const batches: number[][] = [];
  const run = createBatcher(async (items: number[]) => { batches.push(items); return items; }, { lingerMs: 40 });
  const first = run(1);
  await new Promise((r) => setTimeout(r, 10));
  const second = run(2);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(batches, [], 'nothing runs before the linger ends');
  t.deepEqual(await Promise.all([first, second]), [1, 2]);
  t.deepEqual(batches, [[1, 2]]);
});
