import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { mergeSettings } from '../helpers/subscribers.ts';
import { untilWithin } from '../helpers/wait-for.ts';

// Queue jobs that outlive their step: Bull redelivering a dead worker's stalled job after a restart, a pruned
// job id added again from an outdated outbox listing, a job firing before the retry's back-off is over. None of
// them may dial: a retry is placed no earlier than its back-off after the attempt before it ended.
let s: Stack;
const BACKOFF_SEC = 3;
test.before(async () => {
  s = await startStack({ label: 'stalejobs' });
  await mergeSettings(s, { retry: { maxAttempts: 3, backoffSec: { busy: BACKOFF_SEC }, outsideHours: true } });
});
test.after.always(async () => { await s?.close(); });

const until = untilWithin(15000, 20);

test.serial('stalled, re-added and early jobs of a request waiting for its retry dial nothing before the back-off', async (t) => {
  s.sim.setRules([{ pattern: '12025550441$', behavior: { kind: 'busy', afterMs: 400 } }]);
  const r = await request(s.base, '+1 202 555 0441');
  t.is(r.status, 202);
  const id = r.json.id as string;
  await until(async () => (await s.c.pool.query(`SELECT status FROM callback_requests WHERE id = $1`, [id])).rows[0].status === 'scheduled');
  s.sim.resetRules(); // the phone answers from now on
  const { rows: [first] } = await s.c.pool.query(`SELECT ended_at FROM call_attempts WHERE request_id = $1 AND n = 1`, [id]);
  const q = s.c.queue.queue;
  // What a restart or a stale listing leaves behind: the first call's job again (its id pruned, so added anew),
  // a job of the same step under another id, and the retry's own step firing now.
  await (await q.getJob(id))?.remove();
  await q.add({ requestId: id }, { jobId: id });
  await q.add({ requestId: id, attempt: 0 }, { jobId: `${id}:redelivered` });
  await q.add({ requestId: id, attempt: 1 }, { jobId: `${id}:1:early` });
  const st = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 30000);
  t.is(st.status, 'completed', JSON.stringify(st));
  t.deepEqual(st.attempts.map((a: any) => a.outcome), ['busy', 'answered']);
  const dials = s.sim.originates({ number: '12025550441' });
  t.is(dials.length, 2, 'one dial per attempt');
  const gapMs = dials[1]!.at - new Date(first.ended_at).getTime();
  t.true(gapMs >= BACKOFF_SEC * 1000 - 300, `retry dialed ${gapMs} ms after the first attempt ended (back-off ${BACKOFF_SEC} s)`);
});
