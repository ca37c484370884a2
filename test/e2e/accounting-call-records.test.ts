import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { upsertRate, attemptsWithoutRecords } from '../../src/accounting/accounting.repository.ts';
import { recordAttempt } from '../../src/accounting/call-recorder.service.ts';
import { pollUntil, until } from '../helpers/wait-for.ts';

let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'acct_e2e', env: { RATE_LIMITS_ENABLED: 'false' } });
  // 10 cents a minute, 30 s first interval then 6 s steps, 3 cent minimum: the figures the test recomputes.
  await upsertRate(s.c.pool, { planId: null, prefix: '1202', description: 'Washington DC', pricePerMinMicros: 100_000, minSeconds: 30, incrementSeconds: 6, minChargeCents: 3 });
});
test.after.always(async () => { await s?.close(); });

/** The rating rule restated independently of src/accounting/rating.ts. */
function expectedCharge(billable: number): { billed: number; cents: number } {
  if (billable === 0) return { billed: 0, cents: 0 };
  const billed = billable <= 30 ? 30 : 30 + Math.ceil((billable - 30) / 6) * 6;
  return { billed, cents: Math.max(3, Math.ceil((billed * 100_000) / 600_000)) };
}

const recordsFor = (requestId: string, legs: number, ms = 15000) => pollUntil(
  async () => (await s.c.pool.query(`SELECT * FROM call_records WHERE request_id = $1 ORDER BY leg DESC`, [requestId])).rows, (rows) => rows.length >= legs, ms, 100);

const cdrFor = async (uniqueid: string, ms = 5000) => (await pollUntil(
  async () => (await s.c.pool.query(`SELECT * FROM ami_cdrs WHERE uniqueid = $1`, [uniqueid])).rows, (rows) => rows.length > 0, ms, 100))[0];

test.serial('an answered call gets a visitor and a callee record, rated to the cent, matched to both AMI CDRs', async (t) => {
  const r = await request(s.base, '+1 202 555 0141', { pageUrl: 'http://localhost/pricing?x=1' });
  t.is(r.status, 202);
  await waitForStatus(s.base, r.json, (st) => FINAL.has(st.status), 20000);
  const rows = await recordsFor(r.json.id, 2);
  t.deepEqual(rows.map((x) => x.leg), ['visitor', 'callee']);
  const { rows: [attempt] } = await s.c.pool.query(`SELECT * FROM call_attempts WHERE request_id = $1`, [r.json.id]);
  const [visitor, callee] = rows;
  t.like(visitor, { disposition: 'ANSWERED', to_number: '+12025550141', from_number: '+12025550111', channel_id: `bk-v-${attempt.id}`, rate_prefix: '1202' });
  t.is(visitor.billable_sec, Math.ceil((attempt.ended_at - attempt.answered_at) / 1000));
  t.true(visitor.billable_sec >= 1);
  t.is(visitor.billed_sec, expectedCharge(visitor.billable_sec).billed);
  t.is(Number(visitor.charge_cents), expectedCharge(visitor.billable_sec).cents);
  t.like(callee, { disposition: 'ANSWERED', to_number: '+12025550111', channel_id: `bk-c-${attempt.id}`, callee_kind: 'phone' });
  t.is(callee.billable_sec, Math.ceil((attempt.ended_at - attempt.callee_answered_at) / 1000));
  t.is(Number(callee.charge_cents), expectedCharge(callee.billable_sec).cents);
  t.true(callee.started_at >= visitor.answered_at, 'the callee is dialed only after the visitor answered');

  const vCdr = await cdrFor(`bk-v-${attempt.id}`);
  const cCdr = await cdrFor(`bk-c-${attempt.id}`);
  t.like(vCdr, { disposition: 'ANSWERED', attempt_id: attempt.id, leg: 'visitor' });
  t.like(cCdr, { disposition: 'ANSWERED', attempt_id: attempt.id, leg: 'callee' });
  // Asterisk rounds and stamps times itself; we count every started second from when we handled the events.
  // On a loaded test machine event handling can lag by a second or two, hence the margin.
  t.true(Math.abs(vCdr.billable_sec - visitor.billable_sec) <= 3, `CDR ${vCdr.billable_sec} s vs record ${visitor.billable_sec} s`);
});

for (const [phone, disposition, cause] of [['+1 202 555 0150', 'BUSY', 17], ['+1 202 555 0159', 'NO ANSWER', 19]] as const) {
  test.serial(`a ${disposition} call: one visitor record, nothing billable, nothing charged`, async (t) => {
    const r = await request(s.base, phone);
    t.is(r.status, 202);
    await waitForStatus(s.base, r.json, (st) => st.attempts?.[0]?.endedAt, 20000);
    const rows = await recordsFor(r.json.id, 1);
    t.is(rows.length, 1);
    t.like(rows[0], { leg: 'visitor', disposition, hangup_cause: cause, billable_sec: 0, billed_sec: 0, answered_at: null, rate_prefix: '1202' });
    t.is(Number(rows[0].charge_cents), 0);
    t.true(rows[0].duration_sec >= 0);
    const cdr = await cdrFor(rows[0].channel_id);
    t.like(cdr, { disposition, billable_sec: 0 });
  });
}

test.serial('metrics show the calls: accepted requests, dial outcomes by cause, records', async (t) => {
  const res = await fetch(`${s.base}/metrics`);
  t.is(res.status, 200);
  const text = await res.text();
  t.regex(text, /# TYPE beckon_dial_outcomes_total counter/);
  t.regex(text, /beckon_dial_outcomes_total\{[^}]*outcome="busy"[^}]*cause="17"[^}]*\} [1-9]/);
  t.regex(text, /beckon_dial_outcomes_total\{[^}]*outcome="answered"[^}]*\} [1-9]/);
  t.regex(text, /beckon_callback_requests_total\{[^}]*result="accepted"[^}]*\} [1-9]/);
  t.regex(text, /beckon_call_records_total\{[^}]*leg="callee"[^}]*disposition="ANSWERED"[^}]*\} [1-9]/);
  t.regex(text, /beckon_time_to_callback_seconds_count\{[^}]*\} [1-9]/);
  t.regex(text, /beckon_active_calls\{[^}]*\} \d/);
  t.regex(text, /beckon_queue_jobs\{[^}]*state="waiting"[^}]*\} \d/);
});

test.serial('a lost ARI WebSocket shows as a reconnect in the metrics', async (t) => {
  const count = async () => Number(/beckon_ari_reconnects_total\{[^}]*\} (\d+)/.exec(await (await fetch(`${s.base}/metrics`)).text())?.[1] ?? 0);
  const before = await count();
  s.sim.dropWebSockets();
  await until(async () => (await count()) > before, 15000, 200);
  t.is(await count(), before + 1);
});

test.serial('records are written once, and rebuilt the same from the stored attempt when they were lost', async (t) => {
  const { rows: before } = await s.c.pool.query(`SELECT * FROM call_records WHERE leg = 'visitor' AND disposition = 'ANSWERED' ORDER BY started_at LIMIT 1`);
  const attemptId = before[0].attempt_id;
  const deps = { pool: s.c.pool, log: s.c.log, trunkTemplate: s.config.TRUNK_ENDPOINT };
  t.is(await recordAttempt(deps, attemptId), 0, 'already recorded: nothing new');
  await s.c.pool.query(`DELETE FROM call_records WHERE attempt_id = $1`, [attemptId]);
  await s.c.pool.query(`UPDATE call_attempts SET ended_at = ended_at - interval '1 minute', started_at = started_at - interval '1 minute' WHERE id = $1`, [attemptId]);
  t.true((await attemptsWithoutRecords(s.c.pool)).includes(attemptId), 'the catch-up pass finds it');
  t.is(await recordAttempt(deps, attemptId), 2);
  const { rows: after } = await s.c.pool.query(`SELECT * FROM call_records WHERE attempt_id = $1 AND leg = 'visitor'`, [attemptId]);
  t.like(after[0], { disposition: 'ANSWERED', rate_prefix: before[0].rate_prefix, to_number: before[0].to_number });
});
