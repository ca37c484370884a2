import test from 'ava';
import { randomBytes } from 'node:crypto';
import { startStack, postJson, API_AUTH, type Stack } from '../helpers/stack.ts';
import { waitFor, sleep } from '../helpers/wait-for.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createContainer, type Container } from '../../src/main/container.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWorker, type WorkerHandle } from '../../src/main/worker.ts';
import { leaseHolder } from '../../src/webcalls/inbound-lease.repository.ts';

// Two workers and the shared inbound app: exactly one holds it; each web call is moved to the worker with the
// fewest calls and completes there; when the holder goes, the other takes the lease and the app.

const LEASE = { ttlMs: 1500, renewMs: 150 };
let s: Stack;
let c2: Container;
let w2: WorkerHandle;
let w2Stopped = false;

test.before(async () => {
  s = await startStack({ label: 'webcall2w', env: { WEBCALL_ENABLED: 'true', MAX_CALL_SEC: '60' }, workerExt: { inboundLease: LEASE } });
  s.sim.setRules([{ pattern: '12025550111$', behavior: { kind: 'answer', afterMs: 500, hangupAfterMs: 600_000 } }]);
  c2 = createContainer(loadConfig({ ...s.env, WORKER_ID: `${s.env.WORKER_ID}b` }), { log: createLogger('silent') });
  w2 = await startWorker(c2, { inboundLease: LEASE });
});
test.after.always(async () => {
  if (!w2Stopped) await w2?.stop(0).catch(() => {});
  await c2?.close();
  await s?.close();
});

/** The workers still running. */
const workers = () => [
  ...(s.worker ? [{ id: s.config.WORKER_ID, w: s.worker }] : []),
  ...(w2Stopped ? [] : [{ id: c2.config.WORKER_ID, w: w2 }]),
];
const issue = async () => {
  const r = await postJson(s.base, '/api/v1/webcalls', { subscriber: 'demo', visitorId: randomBytes(12).toString('base64url') }, API_AUTH);
  if (r.status !== 201) throw new Error(r.text);
  return r.json as { requestId: string; ticket: string };
};
const statusOf = async (id: string) => (await s.c.pool.query(`SELECT status FROM callback_requests WHERE id = $1`, [id])).rows[0].status;
const workerOf = async (id: string) => (await s.c.pool.query(`SELECT worker_id FROM call_attempts WHERE request_id = $1`, [id])).rows[0]?.worker_id;

test.serial('exactly one worker holds the inbound app; calls are moved to the least busy worker and complete', async (t) => {
  await waitFor('one holder', async () => workers().filter((x) => x.w.inboundApp!.holding()).length === 1);
  await sleep(500);
  const holders = workers().filter((x) => x.w.inboundApp!.holding());
  t.is(holders.length, 1, 'still exactly one after several renewals');
  t.is(await leaseHolder(s.c.pool, 'beckon-inbound'), holders[0]!.id);

  const first = await issue();
  const ch1 = s.sim.placeWebCall({ ticket: first.ticket }).channelId!;
  await waitFor('first connected', async () => (await statusOf(first.requestId)) === 'connected', 15000);
  const second = await issue();
  const ch2 = s.sim.placeWebCall({ ticket: second.ticket }).channelId!;
  await waitFor('second connected', async () => (await statusOf(second.requestId)) === 'connected', 15000);
  const [w1, w2id] = [await workerOf(first.requestId), await workerOf(second.requestId)];
  t.not(w1, w2id, 'the second call went to the worker with no call');
  for (const ch of [ch1, ch2]) s.sim.hangUpWebCall(ch);
  for (const r of [first, second]) await waitFor('completed', async () => (await statusOf(r.requestId)) === 'completed', 15000);
  t.pass();
});

test.serial('the holder goes: the other worker takes the lease once it expires, holds the app, and calls go through', async (t) => {
  const holder = workers().find((x) => x.w.inboundApp!.holding())!;
  const other = workers().find((x) => x.id !== holder.id)!;
  // The holder dies without a word: its lease stays until it expires, then the other takes it.
  if (holder.w === w2) { await w2.stop(0); w2Stopped = true; } else await holder.w.stop(0);
  await s.c.pool.query(`INSERT INTO inbound_app_lease (app, worker_id, expires_at) VALUES ('beckon-inbound', $1, now() + interval '1 second')
    ON CONFLICT (app) DO UPDATE SET worker_id = EXCLUDED.worker_id, expires_at = EXCLUDED.expires_at`, [holder.id]);
  await sleep(500);
  t.false(other.w.inboundApp!.holding(), 'not before the lease has expired');
  await waitFor('the other holds the app', async () => other.w.inboundApp!.holding(), 10000);
  t.is(await leaseHolder(s.c.pool, 'beckon-inbound'), other.id);
  const o = await issue();
  const ch = s.sim.placeWebCall({ ticket: o.ticket }).channelId!;
  await waitFor('connected', async () => (await statusOf(o.requestId)) === 'connected', 15000);
  t.is(await workerOf(o.requestId), other.id);
  s.sim.hangUpWebCall(ch);
  await waitFor('completed', async () => (await statusOf(o.requestId)) === 'completed', 15000);
  // The stack closes its own worker again; a stopped one must not be stopped twice.
  if (holder.w === s.worker) (s as { worker: WorkerHandle | null }).worker = null;
});

test.serial('a move to a worker whose app has no socket fails: the holder runs the call itself', async (t) => {
  const holder = workers().find((x) => x.w.inboundApp?.holding())!;
  // A worker that beats but holds no ARI socket, with no calls: the least busy once the holder has one.
  await s.c.pool.query(`INSERT INTO worker_liveness (worker_id, pid) VALUES ('ghost', 1) ON CONFLICT (worker_id) DO UPDATE SET beat_at = now()`);
  const busy = await issue();
  const ch1 = s.sim.placeWebCall({ ticket: busy.ticket }).channelId!;
  await waitFor('first connected', async () => (await statusOf(busy.requestId)) === 'connected', 15000);
  const o = await issue();
  const ch2 = s.sim.placeWebCall({ ticket: o.ticket }).channelId!;
  await waitFor('second connected', async () => (await statusOf(o.requestId)) === 'connected', 15000);
  t.is(await workerOf(o.requestId), holder.id);
  // Its events still reach it in the inbound app: the browser hanging up ends the call.
  s.sim.hangUpWebCall(ch2);
  await waitFor('completed', async () => (await statusOf(o.requestId)) === 'completed', 15000);
  s.sim.hangUpWebCall(ch1);
  await waitFor('completed', async () => (await statusOf(busy.requestId)) === 'completed', 15000);
  await s.c.pool.query(`DELETE FROM worker_liveness WHERE worker_id = 'ghost'`);
});
