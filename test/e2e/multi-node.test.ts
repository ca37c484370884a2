import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { mergeSettings } from '../helpers/subscribers.ts';
import { until } from '../helpers/wait-for.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createContainer, type Container } from '../../src/main/container.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWeb, type WebHandle } from '../../src/main/web.ts';
import { startWorker, type WorkerHandle } from '../../src/main/worker.ts';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { setAgentNode, setAgentStatus } from '../../src/agents/agent.repository.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';
import { asteriskNodes } from '../../src/admin/system-status.service.ts';
import { workersByNode } from '../../src/calls/upkeep/worker-liveness.ts';
import { readHeartbeats } from '../../src/observability/worker-heartbeat.ts';

// Two Asterisk nodes (two simulators), two workers serving each (ASTERISK_NODE, their own ARI and AMI), two web
// processes taking requests. One node goes down under load for a while: its workers take no job, the requests
// accepted meanwhile are dialed on the other node, nothing is lost or dialed twice; back up, it takes work again.
const RING_TIMEOUT = 10;
const DOWN_MS = 12_000;
let s: Stack;
let simB: Sim;
let web2: { c: Container; web: WebHandle; base: string };
const workers: Array<{ node: 'a' | 'b'; id: string; c: Container; w: WorkerHandle }> = [];

test.before(async () => {
  s = await startStack({ label: 'multinode', worker: false, env: { RING_TIMEOUT: String(RING_TIMEOUT), RECONCILE_INTERVAL_MS: '1000', AGENT_WRAP_UP_SEC: '0', AGENT_WAIT_POLL_MS: '200' } });
  await mergeSettings(s, { retry: { maxAttempts: 5, backoffSec: { failed: 1, busy: 1, no_answer: 1 } } });
  simB = await startSim({ timeScale: 0.05 });
  const c2 = createContainer(loadConfig(s.env), { log: createLogger('silent') });
  const web = await startWeb(c2, {}, 0);
  web2 = { c: c2, web, base: `http://127.0.0.1:${web.port}` };
  for (const [node, sim] of [['a', s.sim], ['b', simB]] as const) {
    for (const n of [1, 2]) {
      const id = `${s.env.WORKER_ID}${node}${n}`;
      const c = createContainer(loadConfig({
        ...s.env, WORKER_ID: id, ASTERISK_NODE: node, ARI_URL: sim.ariUrl, AMI_PORT: String(sim.amiPort),
      }), { log: createLogger('silent') });
      workers.push({ node, id, c, w: await startWorker(c) });
    }
  }
});
test.after.always(async () => {
  for (const x of workers) { await x.w.stop(0).catch(() => {}); await x.c.close().catch(() => {}); }
  await web2?.web.stop().catch(() => {});
  await web2?.c.close().catch(() => {});
  await simB?.close().catch(() => {});
  await s?.close();
});

// Numbers ending 1-5: phones that answer and press the key.
let next = 0;
const numbers = (k: number) => Array.from({ length: k }, () => { const i = next++; return `1202555${8000 + i * 10 + 1 + (i % 5)}`; });
/** Half the requests through each web process. */
const accept = (list: string[]) => Promise.all(list.map((n, i) => request(i % 2 ? web2.base : s.base, `+${n}`)));
const allFinal = (created: Array<{ json: any }>, ms: number) =>
  Promise.all(created.map((r) => waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), ms)));
const nodeOfWorker = (id: string) => workers.find((w) => w.id === id)?.node;
/** The health page's node rows: node → how many of its workers take jobs. */
const taking = async () => Object.fromEntries(asteriskNodes(await workersByNode(s.c.pool), await readHeartbeats(s.c.redis, s.env.REDIS_PREFIX)).map((n) => [n.node, n.taking]));
const attemptsOf = async (id: string) =>
  (await s.c.pool.query(`SELECT id, n, worker_id, outcome, ended_at, started_at FROM call_attempts WHERE request_id = $1 ORDER BY n`, [id])).rows;

test.serial('both nodes dial; one lost under load takes no job while down, the other completes every request, nothing dialed twice; back up it dials again', async (t) => {
  // The visitors stay on the line until they are connected, however long a loaded machine takes to get there
  // (by default a simulated phone hangs up 60 s after answering, 3 s at this time scale: an abandoned call,
  // never retried); the subscriber's phone ends each call 2 s after answering it.
  const holding = [
    { pattern: '^12025558\\d+$', behavior: { kind: 'answer' as const, hangupAfterMs: 600_000 } },
    { pattern: '^12025550111$', behavior: { kind: 'answer' as const, hangupAfterMs: 40_000 } },
  ];
  for (const sim of [s.sim, simB]) sim.setRules(holding);
  t.teardown(() => { for (const sim of [s.sim, simB]) sim.resetRules(); });
  const dialed: string[] = [];
  const created: Array<{ json: any }> = [];
  // Each node's inbound web-call app is held by one worker of that node.
  for (const node of ['a', 'b']) {
    t.true(await until(() => workers.filter((x) => x.node === node && x.w.inboundApp?.holding()).length === 1, 5000), `one worker of node ${node} holds its inbound app`);
  }
  t.deepEqual(await taking(), { a: 2, b: 2 }, 'the health page shows both nodes with two workers taking jobs');

  // Both nodes take work.
  const first = numbers(12);
  const r1 = await accept(first);
  for (const r of r1) t.is(r.status, 202, r.text);
  created.push(...r1); dialed.push(...first);
  const firstFinals = await allFinal(r1, 20000);
  for (const [i, f] of firstFinals.entries()) if (f.status !== 'completed') t.log(JSON.stringify([f.status, await attemptsOf(r1[i].json.id)]));
  t.deepEqual(firstFinals.map((f) => f.status), r1.map(() => 'completed'));
  t.true(s.sim.originates().length > 0 && simB.originates().length > 0, `both nodes dialed (a: ${s.sim.originates().length}, b: ${simB.originates().length})`);

  // Node a goes down with calls in flight; requests keep coming.
  const load = numbers(6);
  const r2 = await accept(load);
  created.push(...r2); dialed.push(...load);
  await until(() => load.some((n) => s.sim.originates({ number: n }).length > 0), 5000);
  const socket = new Map<string, string[]>();
  for (const x of workers.filter((w) => w.node === 'a')) {
    socket.set(x.id, []);
    x.w.port.onEvent((e) => { if (e.type === 'connection.lost' || e.type === 'connection.restored') socket.get(x.id)!.push(e.type); });
  }
  const downAt = Date.now();
  const restarting = s.sim.restart(DOWN_MS).then(() => Date.now());
  await until(async () => (await fetch(`${s.sim.ariUrl}/ari/asterisk/info`).catch(() => null)) === null, 5000);
  const during = numbers(10);
  const r3 = await accept(during);
  for (const r of r3) t.is(r.status, 202, r.text);
  created.push(...r3); dialed.push(...during);
  const whileDown = await allFinal(r3, DOWN_MS - 3000);
  for (const [i, f] of whileDown.entries()) if (f.status !== 'completed') t.log(JSON.stringify([f.status, await attemptsOf(r3[i].json.id)]));
  t.deepEqual(whileDown.map((f) => f.status), r3.map(() => 'completed'), 'requests accepted while node a is down complete on node b');
  t.true(await until(async () => (await taking()).a === 0, 6000), 'the health page shows node a with no worker taking jobs');
  for (const r of r3) {
    for (const a of await attemptsOf(r.json.id)) t.is(nodeOfWorker(a.worker_id), 'b', `${r.json.id} attempt ${a.n} dialed by node b`);
  }
  const upAt = await restarting;
  t.true([...socket.values()].every((seen) => seen[0] === 'connection.lost'), 'node a\'s workers saw their socket go');
  await until(() => [...socket.values()].every((seen) => seen.at(-1) === 'connection.restored'), 20000);
  t.deepEqual(s.sim.originates().filter((o) => o.at > downAt + 350 && o.at < upAt), [], 'node a dialed nothing while it was down');

  // Node a is back and takes work again.
  const aBefore = s.sim.originates().length;
  const after = numbers(12);
  const r4 = await accept(after);
  created.push(...r4); dialed.push(...after);
  const finals = await allFinal(created, 40000);
  for (const f of finals) if (f.status !== 'completed') t.log(JSON.stringify([f.status, f.attempts]));
  t.deepEqual(finals.map((f) => f.status), created.map(() => 'completed'), 'no request lost');
  t.true(s.sim.originates().length > aBefore, 'node a dials again once it is back');

  // One originate per attempt, across both nodes.
  for (const [i, r] of created.entries()) {
    const attempts = await attemptsOf(r.json.id);
    const dials = [...s.sim.originates({ number: dialed[i] }), ...simB.originates({ number: dialed[i] })];
    t.true(dials.length <= attempts.length, `${dialed[i]}: ${dials.length} originates for ${attempts.length} attempts`);
    for (const a of attempts) t.true(dials.filter((d) => d.channelId === `bk-v-${a.id}`).length <= 1, `${dialed[i]} attempt ${a.n} dialed once`);
    t.is(new Set(dials.map((d) => d.channelId)).size, dials.length, `${dialed[i]}: no channel dialed twice`);
    for (const a of attempts) t.truthy(a.ended_at, `${dialed[i]} attempt ${a.n} ended`);
  }
});

test.serial('an agent whose phone is on node b is rung only by node b: its calls are dialed there, node a never rings it', async (t) => {
  await demoAnsweredByAgents(s, { waitSec: 120 });
  const agent = await addAgent(s, { login: 'onb', autoAnswer: true });
  await setAgentNode(s.c.pool, agent.id, 'b');
  await setAgentStatus(s.c.pool, agent.id, 'available');
  s.sim.clearOriginates();
  simB.clearOriginates();
  const list = numbers(4);
  const created = await accept(list);
  for (const r of created) t.is(r.status, 202, r.text);
  const finals = await allFinal(created, 40000);
  t.deepEqual(finals.map((f) => f.status), created.map(() => 'completed'), JSON.stringify(finals.map((f) => f.attempts)));
  for (const r of created) {
    for (const a of await attemptsOf(r.json.id)) t.is(nodeOfWorker(a.worker_id), 'b', `${r.json.id} attempt ${a.n} dialed by node b`);
  }
  t.deepEqual(s.sim.originates().filter((o) => /onb/i.test(o.endpoint)), [], 'node a never rang the agent');
  t.is(simB.originates().filter((o) => /onb/i.test(o.endpoint)).length, 4, 'the agent was rung once per request, on node b');
});
