import test from 'ava';
import { startStack, request, waitForStatus, getJson, FINAL, type Stack } from '../helpers/stack.ts';
import { setAgentStatus } from '../../src/agents/agent.repository.ts';
import { addAgent } from '../helpers/agents.ts';
import { mergeSettings, subscriberId } from '../helpers/subscribers.ts';
import { pollUntil } from '../helpers/wait-for.ts';
import { listCallRecords } from '../../src/accounting/accounting.repository.ts';
import { compareWithCdr } from '../../src/accounting/cdr-comparison.ts';
import { listOpenRequestsForSubscribers, listRequestsForSubscriber, listStatusHistory } from '../../src/requests/callback.repository.ts';

// What a real Asterisk showed and the simulator now shows too: every callee leg has its own channel (and CDR),
// the agent who answered is the one credited, and a bridged request is stored `connected`.

let s: Stack;
let demoId: string;

test.before(async () => {
  s = await startStack({ label: 'fidelity', env: { MAX_CALL_SEC: '20', AGENT_WRAP_UP_SEC: '0', AGENT_WAIT_POLL_MS: '100', RING_TIMEOUT: '5', RATE_LIMITS_ENABLED: 'false' } });
  demoId = await subscriberId(s);
  await mergeSettings(s, { retry: { maxAttempts: 1 } });
});
test.after.always(async () => { await s?.close(); });

const poll = <T>(read: () => Promise<T>, done: (v: T) => boolean) => pollUntil(read, done, 10000, 100);

test.serial('a bridged call is stored `connected`: status API, hosted status page, portal list and agent queue agree', async (t) => {
  const r = await request(s.base, '+1 202 555 0161');
  t.is(r.status, 202, r.text);
  const during = await waitForStatus(s.base, r.json, (j) => j.status === 'connected' || FINAL.has(j.status), 20000);
  t.is(during.status, 'connected', 'GET /api/v1/callbacks/:id says connected while the parties talk');
  const page = await getJson(s.base, `/c/demo/status/${r.json.id}?token=${encodeURIComponent(r.json.statusToken)}`);
  t.regex(page.text, /data-stage="connected"/);
  const portal = await listRequestsForSubscriber(s.c.pool, demoId, {});
  t.is(portal.find((x) => x.id === r.json.id)?.status, 'connected');
  const queue = await listOpenRequestsForSubscribers(s.c.pool, [demoId]);
  t.is(queue.find((x) => x.id === r.json.id)?.status, 'connected');

  const end = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(end.status, 'completed');
  const history = (await listStatusHistory(s.c.pool, r.json.id)).map((h) => h.to);
  t.deepEqual(history, ['queued', 'dialing', 'connected', 'completed']);
});

test.serial('customer-first: a busy agent replaced by the next one: own channel and CDR per leg, the answering agent credited', async (t) => {
  await mergeSettings(s, { answeredBy: 'agents', agents: { mode: 'customer_first', waitSec: 30, fallback: 'reschedule' } });
  const agents = [];
  for (const [login, endpoint, idleSec] of [['fbusy', 'PJSIP/agent2', 30], ['fgood', 'PJSIP/fgood', 10]] as const) {
    const a = await addAgent(s, { login, endpoint, autoAnswer: true, subscriberIds: [demoId] });
    await setAgentStatus(s.c.pool, a.id, 'available');
    await s.c.pool.query(`UPDATE agents SET idle_since = now() - make_interval(secs => $2) WHERE id = $1`, [a.id, idleSec]);
    agents.push(a);
  }
  s.sim.clearOriginates();
  const r = await request(s.base, '+1 202 555 0162');
  t.is(r.status, 202, r.text);
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.status, 'completed');

  const { rows: [attempt] } = await s.c.pool.query(`SELECT * FROM call_attempts WHERE request_id = $1`, [r.json.id]);
  const first = `bk-c-${attempt.id}`;
  const second = `bk-c-${attempt.id}-2`;
  // Asterisk saw two callee channels, each with an id of its own.
  const calleeIds = s.sim.originates().filter((o: any) => o.endpoint !== 'PJSIP/12025550162@carrier').map((o: any) => o.channelId);
  t.deepEqual(calleeIds, [first, second]);
  // The attempt and the callee's record name the agent who answered, and that leg's channel.
  t.like(attempt, { outcome: 'answered', callee_endpoint: 'PJSIP/fgood', callee_channel_id: second });
  const records = await poll(async () => (await s.c.pool.query(`SELECT * FROM call_records WHERE request_id = $1 ORDER BY leg DESC`, [r.json.id])).rows, (rows) => rows.length >= 2);
  t.like(records.find((x) => x.leg === 'callee'), { agent: 'fgood', to_endpoint: 'PJSIP/fgood', channel_id: second, disposition: 'ANSWERED' });
  // Every CDR Asterisk wrote is kept: the busy agent's leg and the answered one.
  const cdrs = await poll(async () => (await s.c.pool.query(`SELECT uniqueid, disposition FROM ami_cdrs WHERE attempt_id = $1 AND leg = 'callee' ORDER BY uniqueid`, [attempt.id])).rows, (rows) => rows.length >= 2);
  t.deepEqual(cdrs, [{ uniqueid: first, disposition: 'BUSY' }, { uniqueid: second, disposition: 'ANSWERED' }]);
  // /admin/calls shows the answered leg's own CDR beside it.
  const shown = (await listCallRecords(s.c.pool, { subscriberId: demoId, from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 60_000) }))
    .find((x) => x.requestId === r.json.id && x.leg === 'callee');
  t.like(shown, { agent: 'fgood', disposition: 'ANSWERED', cdrDisposition: 'ANSWERED' });
  // Its CDR was closed at bridge time: not flagged as a mismatch.
  t.not(compareWithCdr(shown!, { disposition: shown!.cdrDisposition, billableSec: shown!.cdrBillableSec }).verdict, 'mismatch');
});
