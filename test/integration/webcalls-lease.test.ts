import test from 'ava';
import { createTestDatabase } from '../helpers/database.ts';
import { insertRequestRow, insertVerifiedSubscriber, newAttempt } from '../helpers/rows.ts';
import { claimAttempts } from '../../src/calls/attempt.repository.ts';
import { recordBeat } from '../../src/calls/upkeep/worker-liveness.ts';
import { holdLease, leaseHolder, leastBusyWorker, releaseLease } from '../../src/webcalls/inbound-lease.repository.ts';

// The inbound web-call app's lease (src/webcalls/inbound-lease.repository.ts): one holder at a time, renewed by it,
// taken by another only once expired, and the choice of the worker a web call is moved to.

let db: Awaited<ReturnType<typeof createTestDatabase>>;
test.before(async () => { db = await createTestDatabase('webcalllease'); });
test.after.always(async () => { await db?.drop(); });

test.serial('one worker holds the lease; another takes it only once it has expired, and only after watching long enough', async (t) => {
  const app = 'beckon-inbound';
  const results = await Promise.all(['w1', 'w2', 'w3'].map((w) => holdLease(db.pool, app, w, 60_000)));
  t.is(results.filter(Boolean).length, 1, 'exactly one of three concurrent workers gets it');
  const holder = (await leaseHolder(db.pool, app))!;
  const other = ['w1', 'w2', 'w3'].find((w) => w !== holder)!;
  t.true(await holdLease(db.pool, app, holder, 60_000), 'the holder renews');
  t.false(await holdLease(db.pool, app, other, 60_000), 'an unexpired lease stays');
  await db.pool.query(`UPDATE inbound_app_lease SET expires_at = now() - interval '1 second'`);
  t.false(await holdLease(db.pool, app, other, 60_000, false), 'a worker that has not watched long enough leaves an expired lease alone');
  t.true(await holdLease(db.pool, app, other, 60_000, true), 'an expired lease is taken');
  t.is(await leaseHolder(db.pool, app), other);
  t.false(await holdLease(db.pool, app, holder, 60_000), 'the old holder has lost it');
  await releaseLease(db.pool, app, holder);
  t.is(await leaseHolder(db.pool, app), other, 'only the holder can release it');
  await releaseLease(db.pool, app, other);
  t.is(await leaseHolder(db.pool, app), null);
  t.true(await holdLease(db.pool, app, holder, 60_000, false), 'a lease nobody holds is taken at once');
});

test.serial('a web call goes to the live worker with the fewest calls, itself among them', async (t) => {
  for (const w of ['w1', 'w2']) await recordBeat(db.pool, w, 1);
  await recordBeat(db.pool, 'w-dead', 1);
  await db.pool.query(`UPDATE worker_liveness SET beat_at = now() - interval '1 hour' WHERE worker_id = 'w-dead'`);
  t.is(await leastBusyWorker(db.pool, 'w2', 15_000), 'w2', 'a tie goes to the worker asking');
  const sub = await insertVerifiedSubscriber(db.pool, 'leastbusy');
  const busy = newAttempt(await insertRequestRow(db.pool, sub), 'visitor_first');
  await claimAttempts(db.pool, [{ ...busy, workerId: 'w2' }]);
  t.is(await leastBusyWorker(db.pool, 'w2', 15_000), 'w1');
  t.is(await leastBusyWorker(db.pool, 'w-new', 15_000), 'w-new', 'the asking worker counts even before its first heartbeat');
  await claimAttempts(db.pool, [{ ...newAttempt(await insertRequestRow(db.pool, sub, { phone: '+12025550101' }), 'visitor_first'), workerId: 'w1' }]);
  await claimAttempts(db.pool, [{ ...newAttempt(await insertRequestRow(db.pool, sub, { phone: '+12025550102' }), 'visitor_first'), workerId: 'w1' }]);
  t.is(await leastBusyWorker(db.pool, 'w1', 15_000), 'w2', 'a dead worker with no calls is never chosen');
});
