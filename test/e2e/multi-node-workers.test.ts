import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { mergeSettings } from '../helpers/subscribers.ts';
import { until } from '../helpers/wait-for.ts';
import { killLeft, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createContainer, type Container } from '../../src/main/container.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWorker, type WorkerHandle } from '../../src/main/worker.ts';
import { startSim, type Sim } from '../../src/sim/index.ts';

// Two Asterisk nodes with two workers each: one in this process, one a process of its own. Under load a worker of
// each node is killed (SIGKILL): its calls are taken over by the other worker of the same node (the one whose
// Asterisk has those channels), retried by the retry policy, and every request completes, each attempt dialed once.
const TAKEOVER = { TAKEOVER_AFTER_SEC: '2', TAKEOVER_INTERVAL_MS: '300' };
let s: Stack;
let simB: Sim;
const children = new Set<ChildProcess>();
const survivors: Array<{ c: Container; w: WorkerHandle }> = [];
const doomed = new Map<'a' | 'b', WorkerProcess>();

test.before(async () => {
  s = await startStack({ label: 'multinodew', worker: false, env: { RING_TIMEOUT: '10', RECONCILE_INTERVAL_MS: '1000', ...TAKEOVER } });
  await mergeSettings(s, { retry: { maxAttempts: 5, backoffSec: { failed: 1, busy: 1, no_answer: 1 } } });
  simB = await startSim({ timeScale: 0.05 });
  for (const [node, sim] of [['a', s.sim], ['b', simB]] as const) {
    const env = { ...s.env, ASTERISK_NODE: node, ARI_URL: sim.ariUrl, AMI_PORT: String(sim.amiPort) };
    const c = createContainer(loadConfig({ ...env, WORKER_ID: `${s.env.WORKER_ID}${node}1` }), { log: createLogger('silent') });
    survivors.push({ c, w: await startWorker(c) });
    doomed.set(node, await startWorkerProcess({ ...env, WORKER_ID: `${s.env.WORKER_ID}${node}2` }, children, 45000));
  }
});
test.after.always(async () => {
  killLeft(children);
  for (const x of survivors) { await x.w.stop(0).catch(() => {}); await x.c.close().catch(() => {}); }
  await simB?.close().catch(() => {});
  await s?.close();
});

const liveAttemptsOf = async (workerId: string): Promise<string[]> =>
  (await s.c.pool.query(`SELECT id FROM call_attempts WHERE worker_id = $1 AND ended_at IS NULL`, [workerId])).rows.map((r) => r.id);

test('a worker of each node dies mid-call: the other worker of its node takes its calls over, every request completes, each attempt dialed once', async (t) => {
  t.timeout(180_000);
  // Numbers ending 1-5: phones that answer and press the key.
  const numbers = Array.from({ length: 24 }, (_, i) => `1202555${9000 + i * 10 + 1 + (i % 5)}`);
  const created = await Promise.all(numbers.map((n) => request(s.base, `+${n}`)));
  for (const r of created) t.is(r.status, 202, r.text);
  const idA = `${s.env.WORKER_ID}a2`;
  const idB = `${s.env.WORKER_ID}b2`;
  t.true(await until(async () => (await liveAttemptsOf(idA)).length > 0 && (await liveAttemptsOf(idB)).length > 0, 15000), 'both doomed workers have calls in flight');
  const inFlight = { a: await liveAttemptsOf(idA), b: await liveAttemptsOf(idB) };
  await Promise.all([doomed.get('a')!.kill('SIGKILL'), doomed.get('b')!.kill('SIGKILL')]);

  // A job the killed worker had taken but not yet dialed is not a call to take over: Bull hands it to another
  // worker once its lock (30 s) has lapsed and a stalled-job check (every 30 s) has seen it, up to a minute later.
  const finals = await Promise.all(created.map((r) => waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 90000)));
  for (const f of finals) if (f.status !== 'completed') t.log(JSON.stringify([f.status, f.attempts]));
  t.deepEqual(finals.map((f) => f.status), created.map(() => 'completed'), 'no request lost');

  // Each dead worker's calls went to the survivor of its own node (they were killed in flight, some may have ended
  // on their own before the kill took effect: those stay with the dead worker, ended).
  const { rows } = await s.c.pool.query(`SELECT id, worker_id, ended_at FROM call_attempts WHERE id = ANY($1::uuid[])`, [[...inFlight.a, ...inFlight.b]]);
  const owner = new Map(rows.map((r) => [r.id as string, r.worker_id as string]));
  for (const [node, ids] of Object.entries(inFlight)) {
    const dead = `${s.env.WORKER_ID}${node}2`;
    const moved = ids.filter((id) => owner.get(id) !== dead);
    t.true(moved.length > 0, `node ${node}: calls of the dead worker were taken over`);
    for (const id of moved) t.is(owner.get(id), `${s.env.WORKER_ID}${node}1`, `node ${node}: attempt ${id} taken over by its node's survivor`);
  }
  for (const r of rows) t.truthy(r.ended_at, `attempt ${r.id} ended`);

  // One originate per attempt across both nodes.
  for (const [i, r] of created.entries()) {
    const { rows: attempts } = await s.c.pool.query(`SELECT id, n FROM call_attempts WHERE request_id = $1`, [r.json.id]);
    const dials = [...s.sim.originates({ number: numbers[i] }), ...simB.originates({ number: numbers[i] })];
    t.true(dials.length <= attempts.length, `${numbers[i]}: ${dials.length} originates for ${attempts.length} attempts`);
    for (const a of attempts) t.true(dials.filter((d) => d.channelId === `bk-v-${a.id}`).length <= 1, `${numbers[i]} attempt ${a.n} dialed once`);
  }
});
