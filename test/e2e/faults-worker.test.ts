import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { mergeSettings } from '../helpers/subscribers.ts';
import { killLeft, startWorkerProcess } from '../helpers/worker-process.ts';
import { untilWithin } from '../helpers/wait-for.ts';

// The worker as its own process (`beckon worker`), killed with SIGKILL mid-call and stopped with SIGTERM,
// against the in-process web + simulator. What must hold: every request reaches exactly one final state, and
// the simulator saw each attempt's visitor leg dialed once.

let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'faultsworker', worker: false });
  await mergeSettings(s, { retry: { maxAttempts: 3, backoffSec: { failed: 1, no_human: 1, busy: 1 } } });
});
const children = new Set<ChildProcess>();
test.afterEach.always(async () => {
  killLeft(children);
  s.sim.resetRules();
});
test.after.always(async () => { await s?.close(); });

// The subscriber's phone stays on the line as long as the visitor does (the simulator otherwise ends a
// call after 60 s, scaled: 3 s at this time scale, shorter than a worker restart).
const CALLEE_STAYS = { pattern: '12025550111$', behavior: { kind: 'answer' as const, afterMs: 1000, hangupAfterMs: 10_000_000 } };

/** The worker as its own process, on the stack's environment; the visitor is asked for the key long enough to be read mid-call. */
const startWorker = (env: Record<string, string> = {}) => startWorkerProcess({ ...s.env, CONFIRM_WAIT_MS: '20000', ...env }, children, 30000);
const until = untilWithin(15000, 20);

const attemptsOf = async (id: string) => (await s.c.pool.query(`SELECT id, n, state, outcome, cause_txt FROM call_attempts WHERE request_id = $1 ORDER BY n`, [id])).rows;
const stateOf = async (id: string) => (await attemptsOf(id)).at(-1)?.state;
const visitorDials = (attemptId: string) => s.sim.originates().filter((o) => o.channelId === `bk-v-${attemptId}`).length;

async function checkExactlyOnce(t: any, ids: string[]) {
  for (const id of ids) {
    const { rows } = await s.c.pool.query(`SELECT count(*)::int AS n FROM request_status_history WHERE request_id = $1 AND to_status IN ('completed', 'failed', 'expired', 'canceled')`, [id]);
    t.is(rows[0].n, 1, `request ${id} reached exactly one final state`);
    const attempts = await attemptsOf(id);
    for (const a of attempts) t.is(visitorDials(a.id), 1, `attempt ${a.n} of ${id} dialed once`);
    t.deepEqual(s.sim.channels().filter((c: any) => attempts.some((a) => c.id.includes(a.id))), [], 'no channel left up');
  }
}

test.serial('worker killed with SIGKILL mid-call: the restarted worker re-adopts or retries each call, and nobody is dialed twice', async (t) => {
  s.sim.setRules([
    CALLEE_STAYS,
    { pattern: '12025550441$', behavior: { kind: 'answer', afterMs: 600, hangupAfterMs: 10_000_000 } }, // connected at the kill
    { pattern: '12025550442$', behavior: { kind: 'answer', afterMs: 20000, hangupAfterMs: 10_000_000 } }, // ringing at the kill, answers during the outage
    { pattern: '12025550443$', behavior: { kind: 'answer', afterMs: 600, pressKey: null, hangupAfterMs: 10_000_000 } }, // listening to the confirm prompt at the kill
  ]);
  let w = await startWorker();
  const a = await request(s.base, '+1 202 555 0441');
  const c = await request(s.base, '+1 202 555 0443');
  t.true(await until(async () => (await stateOf(a.json.id)) === 'connected' && (await stateOf(c.json.id)) === 'visitor_confirming'));
  const b = await request(s.base, '+1 202 555 0442');
  t.true(await until(() => s.sim.originates({ number: '12025550442' }).length === 1));
  w.proc.kill('SIGKILL');
  await w.exited;
  // Next time the confirming visitor presses the key.
  s.sim.setRules([
    CALLEE_STAYS,
    { pattern: '12025550441$', behavior: { kind: 'answer', afterMs: 600, hangupAfterMs: 10_000_000 } },
    { pattern: '12025550442$', behavior: { kind: 'answer', afterMs: 20000, hangupAfterMs: 10_000_000 } },
  ]);

  w = await startWorker();
  t.regex(w.out.join(''), /reconciled calls with Asterisk/);
  // A: still connected, now watched by the new process; it ends when the visitor hangs up.
  t.is(await stateOf(a.json.id), 'connected');
  const [aAttempt] = await attemptsOf(a.json.id);
  t.is(s.sim.channels().filter((ch: any) => ch.id.includes(aAttempt.id)).length, 2, 'both legs still up');
  s.sim.farEndHangup(`bk-v-${aAttempt.id}`);
  const aDone = await waitForStatus(s.base, a.json, (x) => FINAL.has(x.status), 20000);
  t.is(aDone.status, 'completed');
  t.deepEqual(aDone.attempts.map((x: any) => x.outcome), ['answered']);
  // B: answered while no worker was listening. Asterisk hands an answered channel only to an app with a socket
  // and hangs it up otherwise (cause 0); the new worker finds the leg gone, counts the attempt failed, and the
  // retry connects.
  t.true(await until(async () => (await attemptsOf(b.json.id)).length === 2 && (await stateOf(b.json.id)) === 'connected', 30000));
  const bAttempts = await attemptsOf(b.json.id);
  s.sim.farEndHangup(`bk-v-${bAttempts[1].id}`);
  const bDone = await waitForStatus(s.base, b.json, (x) => FINAL.has(x.status), 20000);
  t.is(bDone.status, 'completed');
  t.deepEqual(bDone.attempts.map((x: any) => x.outcome), ['failed', 'answered']);
  // C: the prompt cannot be picked up again: hung up, counted failed, retried, answered.
  const cDone = await waitForStatus(s.base, c.json, (x) => FINAL.has(x.status), 30000);
  t.is(cDone.status, 'completed');
  t.deepEqual(cDone.attempts.map((x: any) => x.outcome), ['failed', 'answered']);
  t.regex(cDone.attempts[0].causeText, /worker restarted/);

  await checkExactlyOnce(t, [a.json.id, b.json.id, c.json.id]);
  w.proc.kill('SIGTERM');
  t.is(await w.exited, 0);
});

test.serial('worker SIGTERM: stops taking jobs, lets short calls finish, hands the rest back to the next worker', async (t) => {
  s.sim.setRules([
    CALLEE_STAYS,
    { pattern: '12025550451$', behavior: { kind: 'answer', afterMs: 600, hangupAfterMs: 30000 } }, // ends 1.5 s after answering
    { pattern: '12025550453$', behavior: { kind: 'answer', afterMs: 600, pressKey: null, hangupAfterMs: 10_000_000 } }, // still confirming when the grace is over
  ]);
  const w = await startWorker({ SHUTDOWN_GRACE_SEC: '2' });
  const short = await request(s.base, '+1 202 555 0451');
  const long = await request(s.base, '+1 202 555 0453');
  t.true(await until(async () => (await stateOf(short.json.id)) === 'connected' && (await stateOf(long.json.id)) === 'visitor_confirming'));
  const stopAt = Date.now();
  w.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  const later = await request(s.base, '+1 202 555 0452');
  t.is(await w.exited, 0);
  const tookMs = Date.now() - stopAt;
  t.true(tookMs >= 1800 && tookMs < 15000, `stopped after the grace period (${tookMs} ms)`);
  t.is(s.sim.originates({ number: '12025550452' }).length, 0, 'the stopping worker took no new job');
  t.is((await waitForStatus(s.base, short.json, (x) => FINAL.has(x.status), 1000)).status, 'completed', 'the short call finished within the grace');
  const longAttempts = await attemptsOf(long.json.id);
  t.is(longAttempts[0].outcome, 'failed');
  t.regex(longAttempts[0].cause_txt, /shut down/);

  s.sim.resetRules();
  const next = await startWorker();
  t.is((await waitForStatus(s.base, later.json, (x) => FINAL.has(x.status), 20000)).status, 'completed');
  const longDone = await waitForStatus(s.base, long.json, (x) => FINAL.has(x.status), 20000);
  t.is(longDone.status, 'completed');
  t.deepEqual(longDone.attempts.map((x: any) => x.outcome), ['failed', 'answered']);
  await checkExactlyOnce(t, [short.json.id, long.json.id, later.json.id]);
  next.proc.kill('SIGTERM');
  t.is(await next.exited, 0);
});

test.serial('a worker that never comes back: another worker takes over its calls after TAKEOVER_AFTER_SEC, and the retry policy calls again', async (t) => {
  s.sim.setRules([
    CALLEE_STAYS,
    { pattern: '12025550461$', behavior: { kind: 'answer', afterMs: 600, hangupAfterMs: 10_000_000 } }, // connected when its worker dies
    { pattern: '12025550462$', behavior: { kind: 'answer', afterMs: 60_000, hangupAfterMs: 10_000_000 } }, // ringing when its worker dies
  ]);
  const gone = await startWorker({ WORKER_ID: 'gone-for-good' });
  const connected = await request(s.base, '+1 202 555 0461');
  t.true(await until(async () => (await stateOf(connected.json.id)) === 'connected'));
  const ringing = await request(s.base, '+1 202 555 0462');
  t.true(await until(() => s.sim.originates({ number: '12025550462' }).length === 1));
  gone.proc.kill('SIGKILL');
  await gone.exited;
  s.sim.setRules([CALLEE_STAYS]);

  // Another worker id (the dead one's host was replaced): it never re-adopts these calls as its own.
  const survivor = await startWorker({ WORKER_ID: 'survivor', TAKEOVER_AFTER_SEC: '2', TAKEOVER_INTERVAL_MS: '300' });
  t.regex(survivor.out.join(''), /"worker started"/);
  const connectedDone = await waitForStatus(s.base, connected.json, (x) => FINAL.has(x.status), 20000);
  t.is(connectedDone.status, 'completed', 'the visitor had been called back: answered, not retried');
  t.deepEqual(connectedDone.attempts.map((x: any) => x.outcome), ['answered']);
  const ringingDone = await waitForStatus(s.base, ringing.json, (x) => FINAL.has(x.status), 20000);
  t.is(ringingDone.status, 'completed');
  t.deepEqual(ringingDone.attempts.map((x: any) => x.outcome), ['failed', 'answered'], 'the ringing call was retried by the survivor');
  const [first] = await attemptsOf(ringing.json.id);
  t.regex(first.cause_txt, /gone-for-good sent no heartbeat/);
  t.regex(survivor.out.join(''), /taking over the calls of a worker that is gone/);
  const { rows } = await s.c.pool.query(`SELECT count(*)::int AS n FROM call_attempts WHERE worker_id = 'gone-for-good' AND ended_at IS NULL`);
  t.is(rows[0].n, 0, 'nothing left in flight under the dead worker');
  // Its legs were hung up at the "Asterisk": nobody is left talking on a line no worker watches.
  await checkExactlyOnce(t, [connected.json.id, ringing.json.id]);
  survivor.proc.kill('SIGTERM');
  t.is(await survivor.exited, 0);
});
