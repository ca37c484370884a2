import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../helpers/database.ts';
import type { Pool } from '../../src/platform/db/pool.ts';
import { insertRequestsIfClear, listStatusHistory, listStrandedRequests, moveRequests, transitionRequest } from '../../src/requests/callback.repository.ts';
import { IllegalRequestMove, REQUEST_STATUSES } from '../../src/requests/request-lifecycle.ts';
import { claimAttempts, findAttempt, recordTransitions, type AttemptFlow } from '../../src/calls/attempt.repository.ts';
import { loadEndedAttempts } from '../../src/accounting/accounting.repository.ts';
import { insertRequestRow, insertVerifiedSubscriber, newAttempt } from '../helpers/rows.ts';

// The request lifecycle (src/requests/request-lifecycle.ts) at the repository: an illegal move raises and writes
// nothing; the attempt stores its flow and the legs its transitions start, which call records read.

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;
let subscriberId: string;

test.before(async () => {
  db = await createTestDatabase('lifecycle');
  pool = db.pool;
  subscriberId = await insertVerifiedSubscriber(pool, 'lifecycle', 'Lifecycle');
});
test.after.always(async () => { await db?.drop(); });

const newRequest = (status = 'queued') => insertRequestRow(pool, subscriberId, { status });

const stored = async (id: string) => (await pool.query(`SELECT status, status_reason, attempt_count, finished_at FROM callback_requests WHERE id = $1`, [id])).rows[0];

const attempt = (requestId: string, flow: AttemptFlow) => newAttempt(requestId, flow);

test('the statuses the table knows are the statuses the database accepts', async (t) => {
  const { rows: [c] } = await pool.query(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'callback_requests'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%status%'`);
  t.deepEqual([...c.def.matchAll(/'(\w+)'/g)].map((m) => m[1]).sort(), [...REQUEST_STATUSES].sort());
});

test('an illegal move through transitionRequest raises and writes nothing', async (t) => {
  const id = await newRequest();
  const before = await stored(id);
  const historyBefore = await listStatusHistory(pool, id);
  await t.throwsAsync(transitionRequest(pool, id, ['queued'], 'completed', 'skipping the call'), { instanceOf: IllegalRequestMove, message: 'illegal request move: queued -> completed' });
  await t.throwsAsync(transitionRequest(pool, id, ['queued', 'dialing'], 'connected', null), { instanceOf: IllegalRequestMove }, 'one illegal member is enough');
  t.deepEqual(await stored(id), before);
  t.deepEqual(await listStatusHistory(pool, id), historyBefore);
  // A legal move from a status the request is not in is "not mine", not an error.
  t.deepEqual(await transitionRequest(pool, id, ['dialing'], 'completed', null), { ok: false, attemptCount: 0 });
  t.true((await transitionRequest(pool, id, ['queued', 'scheduled'], 'canceled', 'by the visitor')).ok);
  t.like(await stored(id), { status: 'canceled', status_reason: 'by the visitor' });
  // Nothing leaves a final status.
  await t.throwsAsync(transitionRequest(pool, id, ['canceled'], 'queued', null), { instanceOf: IllegalRequestMove });
});

test('a batch of moves with one illegal move raises and writes none of them', async (t) => {
  const [a, b] = [await newRequest(), await newRequest()];
  await t.throwsAsync(moveRequests(pool, [
    { id: a, from: ['queued', 'scheduled'], to: 'failed', reason: 'legal' },
    { id: b, from: ['queued'], to: 'connected', reason: 'illegal' },
  ]), { instanceOf: IllegalRequestMove, message: 'illegal request move: queued -> connected' });
  t.like(await stored(a), { status: 'queued', finished_at: null });
  t.like(await stored(b), { status: 'queued', finished_at: null });
  t.is((await pool.query(`SELECT count(*)::int AS n FROM request_status_history WHERE request_id = ANY($1)`, [[a, b]])).rows[0].n, 0);
  t.deepEqual(await moveRequests(pool, [{ id: a, from: ['queued', 'scheduled'], to: 'failed', reason: 'legal' }]), new Set([a]));
});

test('a new request with a status it may not start in raises and stores nothing', async (t) => {
  const id = randomUUID();
  await t.throwsAsync(insertRequestsIfClear(pool, [{
    id, subscriberId, departmentId: null, phoneE164: '+12025550101', visitorName: null, message: null, pageUrl: null, referrer: null, ip: null,
    userAgent: null, source: 'api', scheduledAt: null, status: 'dialing' as 'queued', tokenHash: Buffer.from([0]),
  }]), { instanceOf: IllegalRequestMove });
  t.is(await stored(id), undefined);
});

test('the claim moves the request as the lifecycle allows and stores the attempt\'s flow and the legs its transitions start', async (t) => {
  const [r1, r2, done] = [await newRequest(), await newRequest('scheduled'), await newRequest('completed')];
  const [visitorFirst, agentFirst, late] = [attempt(r1, 'visitor_first'), attempt(r2, 'agent_first'), attempt(done, 'visitor_first')];
  const claimed = await claimAttempts(pool, [visitorFirst, agentFirst, late]);
  t.deepEqual(claimed, new Map([[visitorFirst.id, 1], [agentFirst.id, 1]]));
  t.is(await findAttempt(pool, late.id), null, 'a request that may not move to dialing claims nothing');
  t.like(await stored(done), { status: 'completed', attempt_count: 0 });
  t.like(await findAttempt(pool, visitorFirst.id), { flow: 'visitor_first', state: 'visitor_ringing' });
  t.like(await findAttempt(pool, agentFirst.id), { flow: 'agent_first', state: 'offered' });
  t.deepEqual((await listStatusHistory(pool, r2)).map((h) => [h.from, h.to]), [['scheduled', 'dialing']]);

  await recordTransitions(pool, [
    { attemptId: visitorFirst.id, from: 'visitor_ringing', event: 'visitor.answered', to: 'callee_ringing', answered: true },
    { attemptId: agentFirst.id, from: 'offered', event: 'agent.accepted', to: 'agent_ringing' },
  ]);
  await recordTransitions(pool, [
    { attemptId: visitorFirst.id, from: 'callee_ringing', event: 'callee.replaced', to: 'callee_ringing', callee: { channelId: `${visitorFirst.calleeChannelId}-2`, endpoint: 'PJSIP/b' } },
    { attemptId: agentFirst.id, from: 'agent_ringing', event: 'callee.ended', to: 'ended', outcome: { outcome: 'callee_unanswered', cause: 19, causeTxt: 'No answer' } },
  ]);
  const legs = async (id: string) => (await pool.query(`SELECT to_state, leg_started FROM attempt_transitions WHERE attempt_id = $1 ORDER BY id`, [id])).rows.map((r) => [r.to_state, r.leg_started]);
  t.deepEqual(await legs(visitorFirst.id), [['visitor_ringing', 'visitor'], ['callee_ringing', 'callee'], ['callee_ringing', 'callee']]);
  t.deepEqual(await legs(agentFirst.id), [['offered', null], ['agent_ringing', 'callee'], ['ended', null]]);

  // Recovery reads the flow, not the first state: this agent-first attempt never started the visitor's leg.
  await pool.query(`UPDATE call_attempts SET ended_at = now() - interval '1 minute' WHERE id = $1`, [agentFirst.id]);
  const stranded = await listStrandedRequests(pool, 1000, 10);
  t.like(stranded.find((s) => s.id === r2), { attemptId: agentFirst.id, visitorNeverDialed: true });

  // Call records count the callee leg from the last transition that started one, whatever the states are named.
  await recordTransitions(pool, [{ attemptId: visitorFirst.id, from: 'callee_ringing', event: 'visitor.ended', to: 'ended', outcome: { outcome: 'abandoned', cause: 16, causeTxt: 'x' } }]);
  const { rows: tr } = await pool.query(`SELECT leg_started, at FROM attempt_transitions WHERE attempt_id = $1 AND leg_started IS NOT NULL ORDER BY id`, [visitorFirst.id]);
  await pool.query(`UPDATE attempt_transitions SET to_state = 'renamed_' || to_state WHERE attempt_id = $1`, [visitorFirst.id]);
  const [ended] = await loadEndedAttempts(pool, [visitorFirst.id]);
  t.deepEqual(ended!.startedAt, tr[0].at);
  t.deepEqual(ended!.calleeStartedAt, tr[2].at);
});
