import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../helpers/database.ts';
import type { Pool } from '../../src/platform/db/pool.ts';
import {
  insertAgent, releaseAgent, releaseReservationsOf, releaseStaleReservations, reserveAgent, setAgentStatus, setAssignments, setDeviceState, waitForAgent,
} from '../../src/agents/agent.repository.ts';
import { insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;

test.before(async () => { db = await createTestDatabase('agentres'); pool = db.pool; });
test.after.always(async () => { await db?.drop(); });

async function setup(slug: string, agents: number) {
  const sub = await insertSubscriber(pool, { slug, name: slug, country: 'US', timezone: 'UTC', phoneE164: '+12025550111', phoneVerified: true });
  const ids: string[] = [];
  for (let i = 0; i < agents; i++) {
    const a = await insertAgent(pool, { name: `${slug}${i}`, login: `${slug}${i}`, endpoint: `PJSIP/${slug}${i}` });
    await setAssignments(pool, a.id, [sub.id], []);
    await setAgentStatus(pool, a.id, 'available');
    ids.push(a.id);
  }
  return { sub, agents: ids };
}

async function newRequest(subscriberId: string, at = 'now()') {
  const { rows } = await pool.query(
    `INSERT INTO callback_requests (subscriber_id, phone_e164, status, token_hash, created_at) VALUES ($1, '+12025550100', 'queued', '\\x00', ${at}) RETURNING id`, [subscriberId]);
  return rows[0].id as string;
}

const reserve = (requestId: string, subscriberId: string, workerId = 'w1') =>
  reserveAgent(pool, { requestId, attemptId: randomUUID(), subscriberId, departmentId: null, workerId, mode: 'agent_first' });

test('twenty concurrent reservations for two agents: exactly two win, each agent once', async (t) => {
  const { sub, agents } = await setup('race', 2);
  const requests = await Promise.all(Array.from({ length: 20 }, () => newRequest(sub.id)));
  const results = await Promise.all(requests.map((id, i) => reserve(id, sub.id, `w${i % 2}`)));
  const won = results.filter((r) => r.agent).map((r) => r.agent!.id);
  t.is(won.length, 2);
  t.deepEqual([...won].sort(), [...agents].sort());
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM agents WHERE reserved_request IS NOT NULL AND id = ANY($1::uuid[])`, [agents]);
  t.is(rows[0].n, 2);
});

test('an agent released after a call is in wrap-up; declined agents are skipped for that request only', async (t) => {
  const { sub, agents: [a] } = await setup('wrap', 1);
  const r1 = await newRequest(sub.id);
  t.is((await reserve(r1, sub.id)).agent?.id, a);
  await releaseAgent(pool, { agentId: a!, requestId: r1, outcome: 'declined', globalWrapUpSec: 30 });
  t.is((await reserve(r1, sub.id)).agent, null, 'declined: not offered the same request again');
  const r2 = await newRequest(sub.id);
  // r1 is not waiting (never put in line), so r2 may take the agent.
  t.is((await reserve(r2, sub.id)).agent?.id, a);
  await releaseAgent(pool, { agentId: a!, requestId: r2, outcome: 'connected', globalWrapUpSec: 30 });
  const { rows } = await pool.query(`SELECT status, wrap_up_until > now() AS wrapping FROM agents WHERE id = $1`, [a]);
  t.deepEqual(rows[0], { status: 'wrap_up', wrapping: true });
  t.is((await reserve(await newRequest(sub.id), sub.id)).agent, null, 'no offer during wrap-up');
});

test('requests wait in line: a newer request cannot overtake an older waiting one', async (t) => {
  const { sub, agents: [a] } = await setup('fifo', 1);
  await setAgentStatus(pool, a!, 'away');
  const older = await newRequest(sub.id, `now() - interval '1 minute'`);
  const newer = await newRequest(sub.id);
  t.deepEqual(await reserve(older, sub.id), { agent: null, reason: 'none_available' });
  await waitForAgent(pool, older, sub.id);
  await new Promise((r) => setTimeout(r, 20));
  await waitForAgent(pool, newer, sub.id);
  await setAgentStatus(pool, a!, 'available');
  t.deepEqual(await reserve(newer, sub.id), { agent: null, reason: 'not_first_in_line' });
  t.is((await reserve(older, sub.id)).agent?.id, a);
});

test('device state: unreachable and in-use phones are not offered', async (t) => {
  const { sub, agents: [a] } = await setup('dev', 1);
  t.deepEqual(await setDeviceState(pool, 'pjsip/DEV0', 'UNAVAILABLE'), [a], 'device names match case-insensitively');
  t.is((await reserve(await newRequest(sub.id), sub.id)).agent, null);
  await setDeviceState(pool, 'PJSIP/dev0', 'INUSE');
  t.is((await reserve(await newRequest(sub.id), sub.id)).agent, null);
  await setDeviceState(pool, 'PJSIP/dev0', 'NOT_INUSE');
  t.is((await reserve(await newRequest(sub.id), sub.id)).agent?.id, a);
});

test('reservations survive in PostgreSQL and are released when their worker starts again or by the sweep', async (t) => {
  const { sub, agents: [a, b] } = await setup('restart', 2);
  await reserve(await newRequest(sub.id), sub.id, 'dead-worker');
  await reserve(await newRequest(sub.id), sub.id, 'other-worker');
  t.is(await releaseReservationsOf(pool, 'dead-worker'), 1);
  const { rows } = await pool.query(`SELECT id FROM agents WHERE reserved_request IS NOT NULL AND id = ANY($1::uuid[])`, [[a, b]]);
  t.is(rows.length, 1);
  // The other worker never came back: once old enough, the sweep frees the agent.
  await pool.query(`UPDATE agents SET reserved_at = now() - interval '2 hours' WHERE id = $1`, [rows[0].id]);
  t.deepEqual(await releaseStaleReservations(pool, 3600), [rows[0].id]);
  const { rows: offers } = await pool.query(`SELECT outcome FROM agent_offers WHERE agent_id = ANY($1::uuid[]) ORDER BY id`, [[a, b]]);
  t.deepEqual(offers.map((o) => o.outcome), ['canceled', 'canceled']);
});
