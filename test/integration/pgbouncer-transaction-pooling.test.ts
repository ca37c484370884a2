import test from 'ava';
import pg from 'pg';
import { createPool } from '../../src/platform/db/pool.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { pgbouncerBinary, startPgBouncer } from '../helpers/pgbouncer.ts';
import { FINAL, request, startStack, waitForStatus } from '../helpers/stack.ts';
import { mergeSettings } from '../helpers/subscribers.ts';

/*
 * Web and worker with DATABASE_URL through a real PgBouncer in transaction pooling mode, its pool smaller than
 * the process's (4 server connections for 20 clients), so statements of one client land on several server
 * connections: the accept and dial paths work with DATABASE_TRANSACTION_POOLING, nothing needs a session.
 */

const bin = pgbouncerBinary();
if (!bin) console.log('pgbouncer tests skipped: no pgbouncer binary (Debian package pgbouncer; .ci/run installs it)');
const maybe = bin ? test.serial : test.skip;

maybe('behind transaction pooling named statements and startup settings fail; the pool of DATABASE_TRANSACTION_POOLING works', async (t) => {
  const bouncer = await startPgBouncer({ poolSize: 2 });
  const db = await createTestDatabase('pgbnamed');
  const url = bouncer.urlFor(db.name);
  try {
    // Three clients preparing the same name over two server connections: a Parse meets another client's
    // statement, or a client's Bind misses its own.
    const clients = await Promise.all([0, 1, 2].map(async () => { const c = new pg.Client({ connectionString: url }); await c.connect(); return c; }));
    const named = await Promise.allSettled(clients.map(async (c) => {
      for (const n of [1, 2, 3, 4]) await c.query({ name: 'probe', text: 'SELECT $1::int AS n, pg_sleep(0.01)', values: [n] });
    }));
    t.true(named.some((r) => r.status === 'rejected'), 'a named statement failed behind transaction pooling');
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    t.is(await bouncer.poolMode(db.name), 'transaction');

    const plain = createPool(url, 2);
    await t.throwsAsync(plain.query('SELECT 1'), { message: /options/ }, 'PgBouncer refuses the startup setting');
    await plain.end();

    const pooled = createPool(url, 6, { transactionPooling: true });
    const runs = await Promise.all(Array.from({ length: 30 }, (_, n) => pooled.query({ name: 'probe', text: 'SELECT $1::int AS n, pg_sleep(0.01)', values: [n] })));
    t.deepEqual(runs.map((r) => r.rows[0].n), Array.from({ length: 30 }, (_, n) => n));
    await pooled.end();
  } finally {
    await bouncer.close();
    await db.drop();
  }
});

maybe('20 call-backs accepted and dialed through PgBouncer in transaction mode all complete, each dialed once', async (t) => {
  const bouncer = await startPgBouncer({ poolSize: 4 });
  const db = await createTestDatabase('pgbouncer');
  const s = await startStack({ label: 'pgbouncer', env: { DATABASE_URL: bouncer.urlFor(db.name), DATABASE_TRANSACTION_POOLING: 'true', MAX_CALL_SEC: '5' } });
  try {
    t.is(s.config.DATABASE_URL, bouncer.urlFor(db.name));
    await mergeSettings(s, { retry: { maxAttempts: 1 } });
    s.sim.setRules([{ pattern: '.', behavior: { kind: 'answer', afterMs: 300, hangupAfterMs: 600_000 } }]);
    const phones = Array.from({ length: 20 }, (_, i) => `+1202555${String(3000 + i * 3).padStart(4, '0')}`);
    const created = await Promise.all(phones.map((p) => request(s.base, p)));
    t.true(created.every((c) => c.status === 202), created.map((c) => `${c.status} ${c.text}`).join(','));
    const finals = await Promise.all(created.map((c) => waitForStatus(s.base, c.json, (j) => FINAL.has(j.status), 40000)));
    t.deepEqual(finals.map((f) => f.status), phones.map(() => 'completed'));
    const originates = s.sim.originates();
    for (const p of phones) t.is(originates.filter((o: any) => o.endpoint === `PJSIP/${p.slice(1)}@carrier`).length, 1, `${p} dialed once`);
    t.is(await bouncer.poolMode(db.name), 'transaction');
  } finally {
    await s.close();
    await bouncer.close();
    await db.drop();
  }
});
