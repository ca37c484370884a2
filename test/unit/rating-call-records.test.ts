import test from 'ava';
import { buildCallRecords, dispositionForCause, numberFromEndpoint, type EndedAttempt } from '../../src/accounting/call-records.ts';
import type { Rate } from '../../src/accounting/rating.ts';

const T = (s: number, ms = 0) => new Date(Date.UTC(2026, 10, 22, 10, 0, s, ms));
const rates: Rate[] = [{ planId: null, prefix: '1', pricePerMinMicros: 100_000, minSeconds: 30, incrementSeconds: 6, minChargeCents: 0 }];
const base: EndedAttempt = {
  id: 'a1', requestId: 'r1', subscriberId: 's1', departmentId: null, visitorNumber: '+12025550141', subscriberNumber: '+12025550111',
  outcome: 'answered', cause: 16, causeTxt: 'Normal Clearing', calleeKind: 'phone', calleeEndpoint: 'PJSIP/12025550111@carrier',
  visitorChannelId: 'bk-v-a1', calleeChannelId: 'bk-c-a1',
  startedAt: T(0), answeredAt: T(5), calleeStartedAt: T(8), calleeAnsweredAt: T(10), endedAt: T(47, 200),
};

test('answered customer-first call: two legs, any started second billable, rated 30/6', (t) => {
  const [v, c] = buildCallRecords(base, 'PJSIP/{number}@carrier', rates, null);
  t.like(v, { leg: 'visitor', toNumber: '+12025550141', fromNumber: '+12025550111', durationSec: 48, billableSec: 43, disposition: 'ANSWERED', billedSec: 48, chargeCents: 8, hangupCause: 16 });
  t.like(c, { leg: 'callee', toNumber: '+12025550111', fromNumber: '+12025550141', durationSec: 40, billableSec: 38, disposition: 'ANSWERED', billedSec: 42, chargeCents: 7 });
});

test('busy and unanswered visitors: one leg, no charge, the cause kept', (t) => {
  for (const [cause, disp] of [[17, 'BUSY'], [19, 'NO ANSWER'], [21, 'FAILED'], [34, 'CONGESTION']] as const) {
    const recs = buildCallRecords({ ...base, outcome: 'busy', cause, causeTxt: 'x', answeredAt: null, calleeStartedAt: null, calleeAnsweredAt: null, endedAt: T(20) }, 'PJSIP/{number}@carrier', rates, null);
    t.is(recs.length, 1);
    t.like(recs[0], { disposition: disp, hangupCause: cause, billableSec: 0, billedSec: 0, chargeCents: 0, durationSec: 20 });
  }
});

test('the callee does not answer: visitor leg answered and billed, callee leg with its own cause', (t) => {
  const [v, c] = buildCallRecords({ ...base, outcome: 'callee_unanswered', cause: 19, causeTxt: 'No answer', calleeAnsweredAt: null, endedAt: T(38) }, 'PJSIP/{number}@carrier', rates, null);
  t.like(v, { disposition: 'ANSWERED', hangupCause: 16, hangupCauseTxt: 'Normal Clearing', billableSec: 33, chargeCents: 6 });
  t.like(c, { disposition: 'NO ANSWER', hangupCause: 19, billableSec: 0, chargeCents: 0 });
});

test('agent-first: an offer nobody took has no legs; an agent leg is recorded with the agent and not rated', (t) => {
  t.deepEqual(buildCallRecords({ ...base, calleeKind: 'agent', calleeEndpoint: 'PJSIP/agent1', startedAt: null, answeredAt: null, calleeStartedAt: null, calleeAnsweredAt: null }, 'PJSIP/{number}@carrier', rates, null), []);
  const [v, c] = buildCallRecords({ ...base, calleeKind: 'agent', calleeEndpoint: 'PJSIP/agent1', calleeStartedAt: T(0), calleeAnsweredAt: T(2), startedAt: T(2), answeredAt: T(6) }, 'PJSIP/{number}@carrier', rates, null);
  t.like(c, { leg: 'callee', agent: 'agent1', toNumber: null, toEndpoint: 'PJSIP/agent1', chargeCents: 0, ratePrefix: null, billableSec: 46 });
  t.like(v, { leg: 'visitor', billableSec: 42, billedSec: 42, chargeCents: 7 });
});

test('trunk dial strings give back the E.164 number; anything else gives none', (t) => {
  t.is(numberFromEndpoint('PJSIP/{number}@carrier', 'PJSIP/12025550111@carrier'), '+12025550111');
  t.is(numberFromEndpoint('PJSIP/{number}@carrier', 'PJSIP/+442071234567@carrier'), '+442071234567');
  t.is(numberFromEndpoint('PJSIP/{number}@carrier', 'PJSIP/agent1'), null);
  t.is(numberFromEndpoint('SIP/trunk/{number}', 'SIP/trunk/33123456789'), '+33123456789');
  t.is(dispositionForCause(null), 'FAILED');
});
