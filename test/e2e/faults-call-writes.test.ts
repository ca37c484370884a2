import test from 'ava';
import pg from 'pg';
import { startStack, request, type Stack } from '../helpers/stack.ts';
import { mergeSettings } from '../helpers/subscribers.ts';
import { untilWithin } from '../helpers/wait-for.ts';

// PostgreSQL failing the worker's writes at the worst moments, driven from the test with a second connection:
// a table locked in an open transaction makes the worker's statement wait, and the waiting backend is then
// terminated (pg_terminate_backend), as a connection dropped under load or a restart would end it.
// What must hold: a call whose state could not be stored goes on once it can be (or is handed to recovery),
// and a request whose attempt ended is always moved on (retried, completed or failed), never left `dialing`.

let s: Stack;
test.before(async () => {
  s = await startStack({
    label: 'faultswrites',
    // The visitor is asked for the key long enough for the test to press it; a failed write is retried for 3 s.
    env: { CONFIRM_WAIT_MS: '20000', CALL_WRITE_RETRY_SEC: '3' },
  });
  await mergeSettings(s, { retry: { maxAttempts: 3, backoffSec: { busy: 3600, no_answer: 3600, failed: 3600 } } });
});
test.afterEach.always(() => s.sim.resetRules());
test.after.always(async () => { await s?.close(); });

const until = untilWithin(15000, 50);

const requestRow = async (id: string) => (await s.c.pool.query(`SELECT status, status_reason, attempt_count FROM callback_requests WHERE id = $1`, [id])).rows[0];
const attemptsOf = async (id: string) =>
  (await s.c.pool.query(`SELECT id, n, state, outcome, cause_txt, ended_at FROM call_attempts WHERE request_id = $1 ORDER BY n`, [id])).rows;

/**
 * Locks `table` in a transaction of its own; `killWaiters(ms)` terminates, for `ms`, every backend of the test's
 * database that waits for a lock (the worker's statements), then `release()` ends the transaction.
 */
async function lockTable(table: string) {
  const client = new pg.Client({ connectionString: s.dbUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  // pg_stat_activity read inside a transaction is a snapshot taken once: the killer uses a connection of its own.
  const killer = new pg.Client({ connectionString: s.dbUrl });
  await killer.connect();
  let killed = 0;
  return {
    get killed() { return killed; },
    async killWaiters(ms: number, first = 5000): Promise<void> {
      // Wait for the first statement to block, then keep terminating whatever waits.
      const start = Date.now();
      const deadline = start + ms;
      while (Date.now() < deadline || (killed === 0 && Date.now() < start + first)) {
        const { rows } = await killer.query(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`);
        killed += rows.filter((r) => r.ok).length;
        await new Promise((r) => setTimeout(r, 30));
      }
    },
    async release(): Promise<void> {
      await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
      await killer.end().catch(() => {});
    },
  };
}

test.serial('an attempt ends while its request cannot be moved (subscriber lookup killed): the request is still moved on by the retry policy', async (t) => {
  // A number ending in 9 rings and is never answered: the lock is taken while it rings.
  const r = await request(s.base, '+1 202 555 0469');
  t.is(r.status, 202, r.text);
  const id = r.json.id as string;
  t.truthy(await until(async () => (await attemptsOf(id))[0]?.state === 'visitor_ringing'), 'the visitor is being rung');
  const lock = await lockTable('subscribers');
  try {
    // The attempt ends unanswered; the retry's look at the subscriber's hours waits on the lock and is killed.
    await lock.killWaiters(800);
  } finally {
    await lock.release();
  }
  t.true(lock.killed > 0, 'a statement of the worker was waiting on the lock and was terminated');
  const [attempt] = await attemptsOf(id);
  t.is(attempt.outcome, 'no_answer');
  t.truthy(await until(async () => (await requestRow(id)).status === 'scheduled', 10_000), 'the request is scheduled for its retry');
  const req = await requestRow(id);
  t.is(req.status, 'scheduled', JSON.stringify(req));
  t.is(req.status_reason, 'retry after no_answer');
  const again = await request(s.base, '+1 202 555 0469');
  t.is(again.json.duplicate, true, 'the open request is the scheduled retry');
});

test.serial('a request left dialing after its attempts all ended (worker killed in between) is settled by the next reconciliation', async (t) => {
  s.sim.setRules([{ pattern: '12025550461$', behavior: { kind: 'busy', afterMs: 1000 } }]);
  const r = await request(s.base, '+1 202 555 0461');
  const id = r.json.id as string;
  t.truthy(await until(async () => (await requestRow(id)).status === 'scheduled'));
  // What a worker killed between the attempt's end and the request's move leaves behind.
  await s.c.pool.query(`UPDATE callback_requests SET status = 'dialing', status_reason = NULL WHERE id = $1`, [id]);
  await s.c.pool.query(`UPDATE call_attempts SET ended_at = ended_at - interval '2 minutes' WHERE request_id = $1`, [id]);
  const dup = await request(s.base, '+1 202 555 0461');
  t.is(dup.json.duplicate, true, 'while stranded, the visitor cannot ask again');
  await s.worker!.recover.calls();
  const req = await requestRow(id);
  t.is(req.status, 'scheduled', 'settled as the busy attempt would have left it: a retry');
  t.is(req.status_reason, 'retry after busy');
  t.is((await attemptsOf(id)).length, 1, 'nothing dialed by the settlement itself');
});

test.serial('a call transition whose write is killed is retried: the call goes on once PostgreSQL takes it', async (t) => {
  s.sim.setRules([{ pattern: '12025550462$', behavior: { kind: 'answer', afterMs: 500, pressKey: null, hangupAfterMs: 10_000_000 } }]);
  const r = await request(s.base, '+1 202 555 0462');
  const id = r.json.id as string;
  t.truthy(await until(async () => (await attemptsOf(id))[0]?.state === 'visitor_confirming'), 'the visitor is asked for the key');
  const [{ id: attemptId }] = await attemptsOf(id);
  const lock = await lockTable('call_attempts');
  try {
    s.sim.sendDtmf(`bk-v-${attemptId}`, '1');
    // The transition's write waits on the lock and is killed, and so is every try for 0.6 s.
    await lock.killWaiters(600);
  } finally {
    await lock.release();
  }
  t.true(lock.killed > 0);
  // The callee is rung and answers; the simulator ends the conversation after its own limit.
  t.truthy(await until(async () => (await requestRow(id)).status === 'completed', 20_000), 'the call went on and completed');
  const [a] = await attemptsOf(id);
  t.is(a.outcome, 'answered');
  t.false(s.worker!.dialer.sessions.has(attemptId), 'no session left in memory');
});

test.serial('a call whose state cannot be stored for longer than the retry bound is handed to recovery, which settles it', async (t) => {
  s.sim.setRules([{ pattern: '12025550463$', behavior: { kind: 'answer', afterMs: 500, pressKey: null, hangupAfterMs: 10_000_000 } }]);
  const r = await request(s.base, '+1 202 555 0463');
  const id = r.json.id as string;
  t.truthy(await until(async () => (await attemptsOf(id))[0]?.state === 'visitor_confirming'));
  const [{ id: attemptId }] = await attemptsOf(id);
  const lock = await lockTable('call_attempts');
  try {
    s.sim.sendDtmf(`bk-v-${attemptId}`, '1');
    // Longer than CALL_WRITE_RETRY_SEC (3 s): the session gives up and hands the call over.
    await lock.killWaiters(4500);
  } finally {
    await lock.release();
  }
  t.truthy(await until(() => !s.worker!.dialer.sessions.has(attemptId) || undefined, 5000), 'the dead session is gone from memory');
  // Recovery rebuilds the call from the stored state (confirming, which a new session cannot resume): its legs
  // are hung up and the attempt ends failed, so the retry policy schedules the request.
  t.truthy(await until(async () => (await attemptsOf(id))[0]?.state === 'ended', 15_000), 'the attempt ended');
  const [a] = await attemptsOf(id);
  const { rows: steps } = await s.c.pool.query(`SELECT from_state, event, to_state FROM attempt_transitions WHERE attempt_id = $1 ORDER BY id`, [attemptId]);
  t.is(a.outcome, 'failed', JSON.stringify(steps));
  t.truthy(await until(async () => (await requestRow(id)).status === 'scheduled', 10_000));
  t.deepEqual(s.sim.channels().filter((c: any) => c.id.includes(attemptId)), [], 'no leg left up');
});
