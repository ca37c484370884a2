import test from 'ava';
import { createTestDatabase } from '../helpers/database.ts';
import { insertVerifiedSubscriber } from '../helpers/rows.ts';
import { findOpenRequests, insertRequestsIfClear } from '../../src/requests/callback.repository.ts';
import { randomUUID } from 'node:crypto';

// Plans made from the statistics of a nearly empty table (a new install's first minutes) must not outlive them.
// With cached generic plans, the open-request lookup run for every accepted request walked all of a subscriber's
// requests (callback_requests_subscriber_idx backward, filtering by phone) or scanned the table, slower as the
// queue grew: in `npm run bench` the accept rate fell from 2,000 to 550 req/s within 40 s. src/platform/db/pool.ts has
// every statement planned at each execution; these tests check, through the server's own index counters, which
// index the lookup used on a table that grew after it first ran.

let db: Awaited<ReturnType<typeof createTestDatabase>>;
test.before(async () => { db = await createTestDatabase('queryplans'); });
test.after.always(async () => { await db?.drop(); });

async function indexScans(c: import('pg').PoolClient): Promise<Record<string, number>> {
  // Counters of this backend reach shared memory at a transaction boundary once a flush is forced.
  await c.query('SELECT pg_stat_force_next_flush()');
  await c.query('SELECT 1');
  const { rows } = await c.query(
    `SELECT indexrelname, idx_scan::int FROM pg_stat_user_indexes WHERE relname = 'callback_requests'`);
  return Object.fromEntries(rows.map((r) => [r.indexrelname, r.idx_scan]));
}

async function addOpen(c: import('pg').PoolClient, sub: string, from: number, n: number): Promise<void> {
  await c.query(
    `INSERT INTO callback_requests (subscriber_id, phone_e164, status, token_hash)
     SELECT $1, '+1202' || ($2::int + g)::text, 'queued', '\\x00' FROM generate_series(1, $3::int) g`, [sub, from, n]);
}

// Each size is a moment at which autovacuum may analyze the table of a new install and the lookup be planned
// again from those statistics.
for (const analyzedAt of [0, 100, 1000]) {
  test.serial(`a lookup planned when the table had ${analyzedAt} rows still probes the open-number index once it has grown`, async (t) => {
    const sub = await insertVerifiedSubscriber(db.pool, `openplan${analyzedAt}`, 'Open Plan');
    const c = await db.pool.connect();
    try {
      const base = 4_000_000 + analyzedAt * 10;
      const key = (i: number) => ({ subscriberId: sub, phoneE164: `+1202${String(base + i)}` });
      await addOpen(c, sub, base + 100_000, analyzedAt);
      await c.query('ANALYZE callback_requests');
      // Enough runs for a prepared statement to settle on a cached generic plan.
      for (let i = 0; i < 10; i++) t.is((await findOpenRequests(c, [key(i), key(i + 1)])).size, 0);
      await addOpen(c, sub, base, 5000);
      const before = await indexScans(c);
      const found = await findOpenRequests(c, [key(1500), key(9999)]);
      t.deepEqual([...found.keys()], [`${sub}|+1202${base + 1500}`]);
      const after = await indexScans(c);
      const used = Object.keys(after).filter((k) => after[k]! > (before[k] ?? 0));
      t.deepEqual(used, ['callback_requests_open_number_idx']);
    } finally { c.release(); }
  });
}


test.serial('the accept path\'s INSERT (opt-outs and the open request screened in the statement) probes the open-number index too', async (t) => {
  const sub = await insertVerifiedSubscriber(db.pool, 'screenplan', 'Screen Plan');
  const c = await db.pool.connect();
  try {
    const base = 5_000_000;
    const row = (i: number) => ({
      id: randomUUID(), subscriberId: sub, departmentId: null, phoneE164: `+1202${String(base + i)}`, visitorName: null, message: null,
      pageUrl: null, referrer: null, ip: null, userAgent: null, source: 'api' as const, scheduledAt: null, status: 'queued' as const, tokenHash: Buffer.from([0]),
    });
    await c.query('ANALYZE callback_requests');
    for (let i = 0; i < 10; i++) await insertRequestsIfClear(c, [row(20_000 + 2 * i), row(20_001 + 2 * i)]);
    await addOpen(c, sub, base, 5000);
    const before = await indexScans(c);
    const found = await insertRequestsIfClear(c, [row(1500), row(9999)]);
    t.deepEqual(found.map((x) => x.open?.status ?? null), ['queued', null]);
    const after = await indexScans(c);
    const used = Object.keys(after).filter((k) => after[k]! > (before[k] ?? 0));
    // The history row's foreign key is checked through the primary key; the lookup itself used the open-number index.
    t.deepEqual(used.filter((k) => k !== 'callback_requests_pkey'), ['callback_requests_open_number_idx']);
  } finally { c.release(); }
});
