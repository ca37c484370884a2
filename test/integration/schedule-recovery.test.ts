import test from 'ava';
import { startPolicyWeb, type PolicyWeb } from '../helpers/policy-web.ts';
import { recoverScheduled } from '../../src/schedule/schedule-recovery.ts';

// Jobs lost by Redis (evicted under allkeys-lru, or a restart without persistence) are put back from
// PostgreSQL. Thousands may go at once: one pass must restore them all, not one page per interval.

let w: PolicyWeb;
test.before(async () => { w = await startPolicyWeb('schedrecovery'); });
test.after.always(async () => { await w?.close(); });

/** `n` requests handed to the queue long ago, overdue, with no job (what an emptied Redis leaves). */
async function overdueWithoutJobs(n: number, from: number, minutesAgo: number): Promise<string[]> {
  const { rows } = await w.c.pool.query(
    `INSERT INTO callback_requests (subscriber_id, phone_e164, status, token_hash, enqueued_at, next_attempt_at)
     SELECT s.id, '+1202' || lpad((g + $2)::text, 7, '0'), 'queued', '\\x00'::bytea,
            now() - make_interval(mins => $3 + 1), now() - make_interval(mins => $3) + g * interval '1 ms'
       FROM subscribers s, generate_series(1, $1) g WHERE s.slug = 'demo'
     RETURNING id`, [n, from, minutesAgo]);
  return rows.map((r) => r.id);
}
const jobCount = async () => (await w.c.queue.queue.getJobCounts()).waiting;

test.serial('one pass restores every overdue request whose job is missing, past the first page', async (t) => {
  const ids = await overdueWithoutJobs(1200, 1000, 10);
  const restored = await recoverScheduled({ pool: w.c.pool, queue: w.c.queue, log: w.c.log, graceMs: 60_000 });
  t.is(restored, 1200);
  t.is(await jobCount(), 1200);
  for (const id of [ids[0], ids[599], ids[1199]]) t.truthy(await w.c.queue.queue.getJob(id));
  t.is(await recoverScheduled({ pool: w.c.pool, queue: w.c.queue, log: w.c.log, graceMs: 60_000 }), 0, 'a second pass finds every job live');
});

test.serial('requests whose jobs are live are passed over, not read again: the missing ones behind them are restored in the same pass', async (t) => {
  await w.c.queue.queue.obliterate({ force: true });
  await w.c.pool.query(`DELETE FROM callback_requests`);
  const live = await overdueWithoutJobs(700, 3000, 30);
  for (const id of live) await w.c.queue.enqueue(id);
  const missing = await overdueWithoutJobs(300, 5000, 10);
  const restored = await recoverScheduled({ pool: w.c.pool, queue: w.c.queue, log: w.c.log, graceMs: 60_000 });
  t.is(restored, 300);
  for (const id of [missing[0], missing[299]]) t.truthy(await w.c.queue.queue.getJob(id));
  t.is(await jobCount(), 1000);
});
