import test from 'ava';
import { signatureHeader } from '../../src/webhooks/signature.ts';
import { checkDeliveries, signatureValid, type Arrival } from '../../scripts/bench/lib/webhook-check.ts';
import { bareCalleeFinder, beckonCalleeFinder, checkWebcalls, setupLatencies, type OriginateSeen, type PlacedCall, type WebcallAttemptRow } from '../../scripts/bench/lib/webcall-check.ts';

// The web-call and webhook benches' own checks: a fast wrong run must not pass them.

const NOW = 1_800_000_000;

test('the bench receiver accepts what Beckon signs, with either secret during a rotation, and nothing altered or stale', (t) => {
  const body = '{"id":"e1","type":"callback.created"}';
  t.true(signatureValid(signatureHeader(['whsec_a'], body, NOW), body, 'whsec_a', NOW));
  const rotating = signatureHeader(['whsec_new', 'whsec_old'], body, NOW);
  t.true(signatureValid(rotating, body, 'whsec_new', NOW));
  t.true(signatureValid(rotating, body, 'whsec_old', NOW));
  t.false(signatureValid(rotating, body, 'whsec_other', NOW));
  t.false(signatureValid(signatureHeader(['whsec_a'], body, NOW), `${body} `, 'whsec_a', NOW), 'body changed');
  t.false(signatureValid(signatureHeader(['whsec_a'], body, NOW - 301), body, 'whsec_a', NOW), 'older than the tolerance');
  t.false(signatureValid(undefined, body, 'whsec_a', NOW));
  t.false(signatureValid('t=abc,v1=00', body, 'whsec_a', NOW));
});

const arrival = (endpoint: string, eventId: string, eventAtMs: number, at: number, valid = true): Arrival => ({ endpoint, eventId, eventAtMs, valid, at });

test('deliveries: all once, in order, signed, and the log agrees — or each failure is named', (t) => {
  const expected = new Map([['a', ['e1', 'e2', 'e3']], ['b', ['e1', 'e2', 'e3']]]);
  const good = [arrival('a', 'e1', 1, 10), arrival('b', 'e1', 1, 11), arrival('a', 'e2', 2, 12), arrival('b', 'e2', 2, 13), arrival('a', 'e3', 3, 14), arrival('b', 'e3', 3, 15)];
  t.deepEqual(checkDeliveries({ arrivals: good, expected, log: { delivered: 6, pending: 0, failed: 0, retried: 0 } }), []);

  const p = checkDeliveries({
    arrivals: [arrival('a', 'e2', 2, 10), arrival('a', 'e1', 1, 11), arrival('a', 'e1', 1, 12, false), arrival('b', 'e1', 1, 13), arrival('c', 'x', 0, 14)],
    expected, log: { delivered: 4, pending: 2, failed: 0, retried: 1 },
  });
  t.true(p.some((x) => /1 deliveries failed signature verification/.test(x)), p.join('\n'));
  t.true(p.some((x) => /3 of 6 expected deliveries never arrived/.test(x)), p.join('\n'));
  t.true(p.some((x) => /1 events arrived more than once/.test(x)), p.join('\n'));
  t.true(p.some((x) => /1 deliveries arrived that were not expected/.test(x)), p.join('\n'));
  t.true(p.some((x) => /arrived before an event made earlier/.test(x)), p.join('\n'));
  t.true(p.some((x) => /delivery log has 4 delivered of 6/.test(x)), p.join('\n'));
  t.true(p.some((x) => /1 deliveries needed more than one try/.test(x)), p.join('\n'));
});

const callee = (channelId: string, at: number, appArgs = ''): OriginateSeen => ({ channelId, endpoint: 'PJSIP/12025550111@carrier', appArgs, at });
const placed = (key: string, startAt: number, final: number | null = 486): PlacedCall => ({ key, startAt, final, statuses: final ? [100, 180, 183, final] : [100] });
const row = (requestId: string, calleeChannelId: string | null, o: Partial<WebcallAttemptRow> = {}): WebcallAttemptRow => ({
  requestId, status: 'failed', attempts: 1, flow: 'web_inbound', outcome: 'callee_unanswered', calleeChannelId, ...o,
});

test('web-call latencies pair each call with its own callee: by the attempt (Beckon) or by the ticket (baseline)', (t) => {
  const calls = [placed('r1', 1000), placed('r2', 1010), placed('r3', 1020)];
  const rung = [callee('bk-c-2', 1040), callee('bk-c-1', 1050)];
  t.deepEqual(setupLatencies(calls, beckonCalleeFinder([row('r1', 'bk-c-1'), row('r2', 'bk-c-2'), row('r3', null)], rung)), [50, 30]);
  const bare = [callee('bare-c-1', 1003, 'callee,t2'), callee('bare-c-2', 1001, 'callee,t1')];
  t.deepEqual(setupLatencies([placed('t1', 1000), placed('t2', 1000)], bareCalleeFinder(bare)), [1, 3]);
});

test('web calls: a clean run passes; a double ring, an answered browser, a lost request or a wrong outcome is reported', (t) => {
  const base = { asked: 2, expectFinal: 486, expectStatus: 'failed', expectOutcome: 'callee_unanswered', channelsLeft: 0 };
  t.deepEqual(checkWebcalls({ ...base, calls: [placed('r1', 0), placed('r2', 0)], calleeOriginates: [callee('c1', 1), callee('c2', 2)], rows: [row('r1', 'c1'), row('r2', 'c2')] }), []);

  const p = checkWebcalls({
    ...base, asked: 3, channelsLeft: 1,
    calls: [placed('r1', 0), { key: 'r2', startAt: 0, final: 200, statuses: [100, 200] }],
    calleeOriginates: [callee('c1', 1), callee('c1', 2), callee('c3', 3)],
    rows: [row('r1', 'c1', { outcome: 'answered' })],
  });
  for (const want of [/3 tickets asked for but 2 calls placed/, /1 browsers got 200 instead of 486/, /1 browsers were answered/, /rung 3 times/,
    /1 callee channel ids were originated more than once/, /1 web calls have no request row/, /1 attempts ended answered/, /1 channels left up/]) {
    t.true(p.some((x) => want.test(x)), `${want} in\n${p.join('\n')}`);
  }
});
