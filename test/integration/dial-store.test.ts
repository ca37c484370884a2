import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../helpers/database.ts';
import type { Pool } from '../../src/platform/db/pool.ts';
import { insertDepartment } from '../../src/subscribers/subscriber.repository.ts';
import { addToDoNotCall } from '../../src/policy/do-not-call.repository.ts';
import { listStatusHistory } from '../../src/requests/callback.repository.ts';
import { listTransitions } from '../../src/calls/attempt.repository.ts';
import { createDialStore } from '../../src/calls/session/dial-store.ts';
import { insertRequestRow, insertVerifiedSubscriber, newAttempt } from '../helpers/rows.ts';

// The worker's batched statements (src/calls/session/dial-store.ts) against PostgreSQL: many calls' items in one
// statement must leave each request and attempt exactly as one statement per item did.

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;
let subscriberId: string;

test.before(async () => {
  db = await createTestDatabase('dialstore');
  pool = db.pool;
  subscriberId = await insertVerifiedSubscriber(pool, 'dialstore', 'Dial Store');
});
test.after.always(async () => { await db?.drop(); });

const newRequest = (o: { phone?: string; status?: string; departmentId?: string | null } = {}) => insertRequestRow(pool, subscriberId, o);

const attempt = (requestId: string, state = 'visitor_ringing') => newAttempt(requestId, state === 'offered' ? 'agent_first' : 'visitor_first', state);

test('loads of concurrent jobs share a statement; each gets its request, subscriber, department and do-not-call flag', async (t) => {
  const store = createDialStore(pool);
  const dep = await insertDepartment(pool, { subscriberId, name: 'Sales', phoneE164: '+12025550122' });
  await addToDoNotCall(pool, { phoneE164: '+12025550199', source: 'operator' });
  const plain = await newRequest();
  const withDep = await newRequest({ departmentId: dep.id });
  const listed = await newRequest({ phone: '+12025550199' });
  const [a, b, c, none, bad] = await Promise.all([store.load(plain), store.load(withDep), store.load(listed), store.load(randomUUID()), store.load('not-a-uuid')]);
  t.like(a, { request: { id: plain, status: 'queued', attemptCount: 0 }, subscriberRow: { id: subscriberId, slug: 'dialstore', status: 'active' }, departmentRow: null, onDoNotCall: false });
  t.like(b, { request: { id: withDep, departmentId: dep.id }, departmentRow: { id: dep.id, name: 'Sales', phone_e164: '+12025550122', answered_by: 'phone' }, onDoNotCall: false });
  t.like(c, { request: { id: listed }, onDoNotCall: true });
  t.is(none, null);
  t.is(bad, null);
});

test('claims: each request once, even when the same request is in a batch twice; the attempt and both history rows are stored', async (t) => {
  const store = createDialStore(pool);
  const r1 = await newRequest();
  const r2 = await newRequest({ status: 'scheduled' });
  const done = await newRequest({ status: 'completed' });
  const [a1, a1again, a2, aDone] = [attempt(r1), attempt(r1), attempt(r2, 'offered'), attempt(done)];
  const results = await Promise.all([store.claim(a1), store.claim(a1again), store.claim(a2), store.claim(aDone)]);
  t.is(results.filter((n) => n === 1).length, 2, 'one claim of r1 and the claim of r2 win');
  t.true((results[0] === 1) !== (results[1] === 1), 'exactly one of the two claims of r1 wins');
  t.is(results[3], null);
  const { rows } = await pool.query(`SELECT id, request_id, n, state, worker_id, callee_kind FROM call_attempts WHERE request_id = ANY($1) ORDER BY request_id`, [[r1, r2, done]]);
  t.is(rows.length, 2);
  const won1 = results[0] === 1 ? a1 : a1again;
  t.like(rows.find((r) => r.request_id === r1), { id: won1.id, n: 1, state: 'visitor_ringing', worker_id: 'w1', callee_kind: 'phone' });
  t.like(rows.find((r) => r.request_id === r2), { id: a2.id, n: 1, state: 'offered' });
  t.deepEqual(await listTransitions(pool, a2.id), [{ from: null, event: 'dial', to: 'offered' }]);
  t.deepEqual((await listStatusHistory(pool, r2)).map((h) => [h.from, h.to, h.reason]), [['scheduled', 'dialing', null]]);
  const { rows: [req] } = await pool.query(`SELECT status, attempt_count FROM callback_requests WHERE id = $1`, [r1]);
  t.like(req, { status: 'dialing', attempt_count: 1 });
  // A second attempt after the request went back in line counts on.
  await pool.query(`UPDATE callback_requests SET status = 'scheduled' WHERE id = $1`, [r1]);
  t.is(await store.claim(attempt(r1)), 2);
});

test('transitions of many calls in one statement; moves of many requests, each only from its own statuses', async (t) => {
  const store = createDialStore(pool);
  const [r1, r2] = [await newRequest(), await newRequest()];
  const [a1, a2] = [attempt(r1), attempt(r2)];
  await Promise.all([store.claim(a1), store.claim(a2)]);
  await Promise.all([
    store.record({ attemptId: a1.id, from: 'visitor_ringing', event: 'visitor.answered', to: 'visitor_confirming', answered: true }),
    store.record({ attemptId: a2.id, from: 'visitor_ringing', event: 'visitor.ended', to: 'ended', outcome: { outcome: 'busy', cause: 17, causeTxt: 'User busy' } }),
  ]);
  const { rows } = await pool.query(`SELECT id, state, outcome, cause, cause_txt, answered_at, ended_at FROM call_attempts WHERE id = ANY($1)`, [[a1.id, a2.id]]);
  const s1 = rows.find((r) => r.id === a1.id);
  const s2 = rows.find((r) => r.id === a2.id);
  t.like(s1, { state: 'visitor_confirming', outcome: null, ended_at: null });
  t.truthy(s1.answered_at);
  t.like(s2, { state: 'ended', outcome: 'busy', cause: 17, cause_txt: 'User busy', answered_at: null });
  t.truthy(s2.ended_at);
  t.deepEqual((await listTransitions(pool, a2.id)).map((x) => x.event), ['dial', 'visitor.ended']);

  const moved = await Promise.all([
    store.move({ id: r1, from: ['dialing', 'connected'], to: 'completed', reason: null }),
    store.move({ id: r2, from: ['queued', 'scheduled'], to: 'canceled', reason: 'not from dialing' }),
    store.move({ id: r2, from: ['dialing', 'connected'], to: 'failed', reason: 'visitor busy' }),
  ]);
  t.deepEqual(moved, [true, false, true]);
  const { rows: reqs } = await pool.query(`SELECT id, status, status_reason, finished_at FROM callback_requests WHERE id = ANY($1)`, [[r1, r2]]);
  t.like(reqs.find((r) => r.id === r1), { status: 'completed', status_reason: null });
  t.like(reqs.find((r) => r.id === r2), { status: 'failed', status_reason: 'visitor busy' });
  t.true(reqs.every((r) => r.finished_at instanceof Date));
  t.deepEqual((await listStatusHistory(pool, r2)).map((h) => [h.from, h.to, h.reason]), [['queued', 'dialing', null], ['dialing', 'failed', 'visitor busy']]);
});

test('a claim for a queue job holds the request to the job\'s step: a stale step or a step not yet due claims nothing', async (t) => {
  const store = createDialStore(pool);
  const r = await newRequest({ status: 'scheduled' });
  await pool.query(`UPDATE callback_requests SET attempt_count = 1, next_attempt_at = now() + interval '5 seconds' WHERE id = $1`, [r]);
  const now = Date.now();
  const [stale, early] = [attempt(r), attempt(r)];
  t.is(await store.claim({ ...stale, expectAttempts: 0, dueBy: new Date(now + 10_000) }), null, 'a job for the first call, after one attempt');
  t.is(await store.claim({ ...early, expectAttempts: 1, dueBy: new Date(now) }), null, 'the retry\'s job, 5 s before it is due');
  const { rows: [before] } = await pool.query(`SELECT status, attempt_count FROM callback_requests WHERE id = $1`, [r]);
  t.like(before, { status: 'scheduled', attempt_count: 1 });
  t.is((await pool.query(`SELECT 1 FROM call_attempts WHERE request_id = $1`, [r])).rowCount, 0);
  t.is(await store.claim({ ...attempt(r), expectAttempts: 1, dueBy: new Date(now + 6000) }), 2, 'the retry\'s job once due');
});
