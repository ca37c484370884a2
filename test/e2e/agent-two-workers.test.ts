import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createContainer, type Container } from '../../src/main/container.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWorker, type WorkerHandle } from '../../src/main/worker.ts';
import { setAgentStatus } from '../../src/agents/agent.repository.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';

let s: Stack;
let c2: Container;
let w2: WorkerHandle;

test.before(async () => {
  s = await startStack({ label: 'agent2w', env: { RATE_LIMITS_ENABLED: 'false', AGENT_WRAP_UP_SEC: '0', AGENT_WAIT_POLL_MS: '100', MAX_CALL_SEC: '10' } });
  // A second worker process in all but the process: its own container, connections and WORKER_ID.
  c2 = createContainer(loadConfig({ ...s.env, WORKER_ID: `${s.env.WORKER_ID}b` }), { log: createLogger('silent') });
  w2 = await startWorker(c2);
  await demoAnsweredByAgents(s, { waitSec: 120 });
  for (const login of ['twa', 'twb']) {
    const a = await addAgent(s, { login, autoAnswer: true });
    await setAgentStatus(s.c.pool, a.id, 'available');
  }
});
test.after.always(async () => {
  await w2?.stop(0).catch(() => {});
  await c2?.close();
  await s?.close();
});

test('two workers, two agents, ten simultaneous requests: nobody gets two calls at once, every request ends', async (t) => {
  // Visitors answer and hang up about a second later (scaled): short calls, many rounds, each one bridged first.
  s.sim.setRules([{ pattern: '^120255501\\d7$', behavior: { kind: 'answer', afterMs: 600, hangupAfterMs: 20000 } }]);
  const phones = Array.from({ length: 10 }, (_, i) => `+1 202 555 01${i}7`);
  const created = await Promise.all(phones.map((p) => request(s.base, p)));
  for (const r of created) t.is(r.status, 202, r.text);
  const finals = await Promise.all(created.map((r) => waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 60000)));
  t.deepEqual(finals.map((f) => f?.status), Array(10).fill('completed'), JSON.stringify(finals.filter((f) => f?.status !== 'completed').map((f) => [f?.statusReason, f?.attempts])));

  const { rows: offers } = await s.c.pool.query(
    `SELECT o.agent_id, o.request_id, o.offered_at, o.ended_at, o.outcome FROM agent_offers o ORDER BY o.agent_id, o.offered_at`);
  t.is(offers.filter((o) => o.outcome === 'connected').length, 10);
  // Per agent, each offer ended before the next began.
  for (let i = 1; i < offers.length; i++) {
    if (offers[i].agent_id !== offers[i - 1].agent_id) continue;
    t.true(offers[i - 1].ended_at !== null && offers[i - 1].ended_at <= offers[i].offered_at, 'overlapping offers for one agent');
  }
  // Both workers took part, and both agents.
  const { rows: workers } = await s.c.pool.query(`SELECT DISTINCT worker_id FROM call_attempts`);
  t.is(workers.length, 2);
  t.is(new Set(offers.map((o) => o.agent_id)).size, 2);
  const { rows: left } = await s.c.pool.query(`SELECT count(*)::int AS n FROM agents WHERE reserved_request IS NOT NULL`);
  t.is(left[0].n, 0);
});
