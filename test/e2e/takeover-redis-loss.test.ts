import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { startPrivateRedis } from '../helpers/private-redis.ts';
import { killLeft, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';
import { until } from '../helpers/wait-for.ts';

// Two live workers on a Redis of the test's own; Redis loses all its data while calls are connected. Takeover
// is quick (after 7 s, longer than the console heartbeat's 5 s, checked every 200 ms): whatever it reads
// liveness from must still show both workers alive.

let s: Stack;
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
const children = new Set<ChildProcess>();
test.before(async () => {
  redis = await startPrivateRedis();
  s = await startStack({ label: 'takeoverloss', worker: false, env: { REDIS_URL: redis.url } });
});
test.after.always(async () => {
  killLeft(children);
  await s?.close();
  await redis?.stop();
});

const CALLEE_STAYS = { pattern: '12025550111$', behavior: { kind: 'answer' as const, afterMs: 1000, hangupAfterMs: 10_000_000 } };

test('Redis loses its data while two workers hold connected calls: neither takes the other\'s calls over', async (t) => {
  s.sim.setRules([CALLEE_STAYS, { pattern: '1202555048\\d$', behavior: { kind: 'answer', afterMs: 600, hangupAfterMs: 10_000_000 } }]);
  const env = { ...s.env, TAKEOVER_AFTER_SEC: '7', TAKEOVER_INTERVAL_MS: '200', CONFIRM_WAIT_MS: '20000' };
  const workers: WorkerProcess[] = [await startWorkerProcess({ ...env, WORKER_ID: 'live-a' }, children)];
  const phones = ['+1 202 555 0481', '+1 202 555 0482', '+1 202 555 0483'];
  const first = await Promise.all(phones.map((p) => request(s.base, p)));
  workers.push(await startWorkerProcess({ ...env, WORKER_ID: 'live-b' }, children));
  const bStarted = Date.now();
  const second = await Promise.all(['+1 202 555 0484', '+1 202 555 0485', '+1 202 555 0486'].map((p) => request(s.base, p)));
  const created = [...first, ...second].map((r) => { t.is(r.status, 202, r.text); return r.json; });
  const attempts = async () => (await s.c.pool.query(
    `SELECT id, request_id, worker_id, state, ended_at FROM call_attempts ORDER BY started_at`)).rows;
  t.true(await until(async () => (await attempts()).filter((a) => a.state === 'connected').length === 6, 20000), 'all six calls connected');
  const owners = new Map((await attempts()).map((a) => [a.id, a.worker_id]));
  t.true([...owners.values()].includes('live-a'));
  // The calls, and both workers' watch, are older than the takeover delay before Redis is emptied; with Redis
  // intact nothing has been taken over.
  await new Promise((r) => setTimeout(r, Math.max(0, bStarted + 8000 - Date.now())));
  for (const w of workers) t.notRegex(w.log(), /taking over the calls/, 'nothing taken over while Redis holds its data');

  execFileSync('redis-cli', ['-p', String(redis.port), 'FLUSHALL']);
  // Many takeover passes, more than a takeover delay.
  await new Promise((r) => setTimeout(r, 9000));

  const after = await attempts();
  t.deepEqual(after.map((a) => [a.id, a.worker_id, a.state]), after.map((a) => [a.id, owners.get(a.id), 'connected']),
    'every call still connected, with the worker that placed it');
  for (const w of workers) t.notRegex(w.log(), /taking over the calls/);

  // The owners still drive their calls to the end.
  for (const a of after) s.sim.farEndHangup(`bk-v-${a.id}`);
  for (const c of created) {
    const done = await waitForStatus(s.base, c, (x) => FINAL.has(x.status), 20000);
    t.is(done.status, 'completed');
    t.deepEqual(done.attempts.map((x: any) => x.outcome), ['answered']);
  }
  const { rows } = await s.c.pool.query(`SELECT count(*)::int AS n FROM attempt_transitions WHERE event = 'lost'`);
  t.is(rows[0].n, 0, 'no call was ended as lost');
  for (const w of workers) t.is(await w.kill('SIGTERM'), 0);
});
