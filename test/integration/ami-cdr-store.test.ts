import { readFileSync } from 'node:fs';
import test from 'ava';
import { createTestDatabase } from '../helpers/database.ts';
import { insertAmiCdrs } from '../../src/accounting/accounting.repository.ts';

// Asterisk's CDRs as the worker stores them (ami_cdrs): every distinct Cdr event once, whatever cdr_manager.conf maps.
// Events come from test/fixtures/traces/cdr.json (recorded on Asterisk 22.10.1, as asterisk-manager hands them over).

const trace = JSON.parse(readFileSync(new URL('../fixtures/traces/cdr.json', import.meta.url), 'utf8')) as {
  withoutMappings: Record<string, string>[]; withMappings: Record<string, string>[];
};

let db: Awaited<ReturnType<typeof createTestDatabase>>;
test.before(async () => { db = await createTestDatabase('amicdrstore'); });
test.after.always(async () => { await db?.drop(); });

const stored = async (uniqueid: string) =>
  (await db.pool.query(`SELECT disposition, sequence, linkedid, billable_sec FROM ami_cdrs WHERE uniqueid = $1 ORDER BY id`, [uniqueid])).rows;

test('without [mappings] (no Sequence) every CDR of one channel id is kept: busy, no answer and answered', async (t) => {
  const template = trace.withoutMappings[1]!;
  t.false('sequence' in template, 'the recording has no Sequence field');
  const id = 'bk-c-3f0e8a52-5d7c-4b8e-9a61-1c2d3e4f5a6b';
  const busy = { ...template, uniqueid: id, disposition: 'BUSY', answertime: '', billableseconds: '0', duration: '0', endtime: '2026-11-22 02:31:43' };
  const noAnswer = { ...template, uniqueid: id, disposition: 'NO ANSWER', answertime: '', billableseconds: '0', duration: '5', starttime: '2026-11-22 02:31:44', endtime: '2026-11-22 02:31:49' };
  const answered = { ...template, uniqueid: id, starttime: '2026-11-22 02:31:50', answertime: '2026-11-22 02:31:51', endtime: '2026-11-22 02:31:51' };
  t.is(await insertAmiCdrs(db.pool, [busy]), 1);
  t.is(await insertAmiCdrs(db.pool, [noAnswer, answered]), 2);
  t.deepEqual((await stored(id)).map((r) => r.disposition), ['BUSY', 'NO ANSWER', 'ANSWERED']);
});

test('the same Cdr event heard by several workers (each has its own AMI session) is stored once', async (t) => {
  const event = { ...trace.withoutMappings[0]!, uniqueid: 'bk-v-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' };
  const reordered = Object.fromEntries(Object.entries(event).reverse());
  t.is(await insertAmiCdrs(db.pool, [event, { ...event }]), 1, 'twice in one batch');
  t.is(await insertAmiCdrs(db.pool, [reordered]), 0, 'again from another worker, keys in another order');
  t.is((await stored(event.uniqueid)).length, 1);
});

test('with [mappings] the mapped LinkedID and Sequence are stored beside each CDR', async (t) => {
  t.is(await insertAmiCdrs(db.pool, trace.withMappings), trace.withMappings.length);
  t.is(await insertAmiCdrs(db.pool, trace.withMappings), 0);
  const agent = trace.withMappings[1]!;
  t.deepEqual(await stored(agent.uniqueid!), [{ disposition: 'ANSWERED', sequence: Number(agent.sequence), linkedid: agent.linkedid, billable_sec: 0 }]);
});
