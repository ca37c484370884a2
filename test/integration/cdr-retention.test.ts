import test from 'ava';
import { createTestDatabase } from '../helpers/database.ts';
import { insertAmiCdrs } from '../../src/accounting/accounting.repository.ts';
import { pruneAmiCdrs } from '../../src/accounting/cdr-retention.ts';

// CDR_RETENTION_DAYS: Asterisk's CDRs older than the retention go, younger ones and Beckon's own records stay.

let db: Awaited<ReturnType<typeof createTestDatabase>>;
test.before(async () => { db = await createTestDatabase('cdrretention'); });
test.after.always(async () => { await db?.drop(); });

const cdr = (uniqueid: string) => ({ event: 'Cdr', uniqueid, sequence: '1', disposition: 'ANSWERED', duration: '10', billableseconds: '8' });

test('CDRs received before the retention window are deleted, in chunks, and the rest kept', async (t) => {
  const old = Array.from({ length: 5200 }, (_, i) => cdr(`old-${i}`));
  t.is(await insertAmiCdrs(db.pool, old), 5200);
  await db.pool.query(`UPDATE ami_cdrs SET received_at = now() - interval '91 days' WHERE uniqueid LIKE 'old-%'`);
  await insertAmiCdrs(db.pool, [cdr('recent-1'), cdr('recent-2')]);
  await db.pool.query(`UPDATE ami_cdrs SET received_at = now() - interval '89 days' WHERE uniqueid = 'recent-2'`);

  t.is(await pruneAmiCdrs(db.pool, 0), 0, 'retention 0 keeps everything');
  t.is(await pruneAmiCdrs(db.pool, 90), 5200, 'more than one chunk goes in one pass');
  const { rows } = await db.pool.query(`SELECT uniqueid FROM ami_cdrs ORDER BY uniqueid`);
  t.deepEqual(rows.map((r) => r.uniqueid), ['recent-1', 'recent-2']);
  t.is(await pruneAmiCdrs(db.pool, 90), 0, 'a second pass finds nothing');
});
