import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { mergeSettings } from '../helpers/subscribers.ts';
import { ARI_AUTH } from '../helpers/sim-ari.ts';
import { sleep, untilWithin } from '../helpers/wait-for.ts';

// Asterisk restarting under load, as a real one does: REST answers some time before the worker's event socket is
// back (the simulator refuses WebSockets for `wsGapMs` after REST returns). The worker must neither take jobs nor
// originate in that gap: Asterisk would ring the visitor unheard and hang up an answered one. Tests here run one at
// a time (a restart hits every call of the shared simulator).
const RING_TIMEOUT = 10;
let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'astrestart', env: { CONFIRM_WAIT_MS: '3000', RING_TIMEOUT: String(RING_TIMEOUT), RECONCILE_INTERVAL_MS: '1000' } });
  await mergeSettings(s, { retry: { maxAttempts: 4, backoffSec: { failed: 1, busy: 1, no_answer: 1 } } });
});
test.after.always(async () => { await s?.close(); });

const until = untilWithin(10000, 20);
const ariUp = async () => (await fetch(`${s.sim.ariUrl}/ari/asterisk/info`, { headers: ARI_AUTH }).catch(() => null))?.status === 200;
const attemptsOf = async (id: string) =>
  (await s.c.pool.query(`SELECT id, n, outcome, state, started_at, ended_at FROM call_attempts WHERE request_id = $1 ORDER BY n`, [id])).rows;

test.serial('no job is taken and nothing is dialed while the event socket is down, even with REST back; the call is placed once it returns', async (t) => {
  const restarting = s.sim.restart(300, 2500);
  await until(async () => !(await ariUp()), 5000);
  await until(ariUp, 5000);
  t.true(await ariUp(), 'REST answers again');
  const r = await request(s.base, '+1 202 555 0611');
  t.is(r.status, 202);
  await sleep(1200);
  t.deepEqual(s.sim.originates({ number: '12025550611' }), [], 'nothing dialed while the socket is refused');
  t.is((await attemptsOf(r.json.id)).length, 0, 'the request waits in the queue');
  await restarting;
  const st = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 30000);
  t.is(st.status, 'completed');
  t.deepEqual(st.attempts.map((x: any) => x.outcome), ['answered']);
  t.is(s.sim.originates({ number: '12025550611' }).length, 1);
});

test.serial('Asterisk restarts under load: nothing lost, nothing dialed twice, no attempt ringing past the ring timeout', async (t) => {
  // Numbers ending 1-5: phones that answer and press the key (0, 6-9 are busy, a machine, etc.).
  const numbers = Array.from({ length: 12 }, (_, i) => `1202555${7000 + i * 10 + 1 + (i % 5)}`);
  s.sim.clearOriginates();
  const before = await Promise.all(numbers.slice(0, 6).map((n) => request(s.base, `+${n}`)));
  await until(() => s.sim.originates().length >= 3);
  const restartAt = Date.now();
  // When the simulator takes sockets again, read in the same tick (before any worker can have reconnected).
  const restarting = s.sim.restart(400, 2000).then(() => Date.now());
  await until(async () => !(await ariUp()), 5000);
  await until(ariUp, 5000);
  // Requests accepted while REST answers and the socket is still refused.
  const during = await Promise.all(numbers.slice(6).map((n) => request(s.base, `+${n}`)));
  const upAt = await restarting;
  const all = [...before, ...during];
  for (const r of all) t.is(r.status, 202);
  const finals = await Promise.all(all.map((r) => waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 60000)));
  for (const f of finals) if (f.status !== 'completed') t.log(JSON.stringify(f.attempts.map((a: any) => [a.outcome, a.causeText])));
  t.deepEqual(finals.map((x) => x.status), all.map(() => 'completed'), 'every request reached the visitor in the end');
  // From when REST is surely down (an originate sent just before the restart may still be handled as it begins)
  // to when the simulator takes sockets again.
  const gapDials = s.sim.originates().filter((o) => o.at > restartAt + 350 && o.at < upAt && o.number);
  t.deepEqual(gapDials, [], `nothing originated while Asterisk was down or its socket refused (restart at ${restartAt}, up at ${upAt})`);
  for (const [i, r] of all.entries()) {
    const attempts = await attemptsOf(r.json.id);
    const dials = s.sim.originates({ number: numbers[i] });
    // At most one originate per attempt: an attempt whose originate Asterisk refused (REST down) has none.
    t.true(dials.length <= attempts.length, `${numbers[i]}: ${dials.length} originates for ${attempts.length} attempts`);
    for (const a of attempts) t.true(dials.filter((d) => d.channelId === `bk-v-${a.id}`).length <= 1, `${numbers[i]} attempt ${a.n} dialed once`);
    t.is(new Set(dials.map((d) => d.channelId)).size, dials.length, `${numbers[i]}: no channel dialed twice`);
    for (const a of attempts) {
      t.truthy(a.ended_at, `${numbers[i]} attempt ${a.n} ended`);
      if (a.outcome !== 'answered') {
        t.true(a.ended_at.getTime() - a.started_at.getTime() <= (RING_TIMEOUT + 5) * 1000, `${numbers[i]} attempt ${a.n} (${a.outcome}) not left dialing`);
      }
    }
  }
});
