import test from 'ava';
import { buildCallRecords, type EndedAttempt } from '../../src/accounting/call-records.ts';
import type { Rate } from '../../src/accounting/rating.ts';

const T = (s: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, s));
const numberRates: Rate[] = [
  { planId: null, prefix: '1', pricePerMinMicros: 100_000, minSeconds: 30, incrementSeconds: 6, minChargeCents: 0 },
  { planId: null, prefix: '', pricePerMinMicros: 500_000, minSeconds: 60, incrementSeconds: 60, minChargeCents: 0 },
];
const web: EndedAttempt = {
  id: 'a1', requestId: 'r1', subscriberId: 's1', departmentId: null, visitorNumber: null as unknown as string, subscriberNumber: '+12025550111', web: true,
  outcome: 'answered', cause: 16, causeTxt: 'Normal Clearing', calleeKind: 'phone', calleeEndpoint: 'PJSIP/12025550111@carrier',
  visitorChannelId: '1733.42', calleeChannelId: 'bk-c-a1',
  startedAt: T(0), answeredAt: T(0), calleeStartedAt: T(1), calleeAnsweredAt: T(5), endedAt: T(65),
};

test('a web call: the browser leg has no number and is free by default; the callee leg is rated as any call', (t) => {
  const [browser, callee] = buildCallRecords(web, 'PJSIP/{number}@carrier', numberRates, null);
  t.like(browser, { leg: 'visitor', channelId: '1733.42', toNumber: null, fromNumber: null, billableSec: 65, disposition: 'ANSWERED', chargeCents: 0, ratePrefix: null });
  t.like(callee, { leg: 'callee', toNumber: '+12025550111', billableSec: 60, chargeCents: 10, ratePrefix: '1' });
});

test('the browser leg is rated by the `web` rate when the operator sets one, a plan\'s over the base', (t) => {
  const rates: Rate[] = [
    ...numberRates,
    { planId: null, prefix: 'web', pricePerMinMicros: 10_000, minSeconds: 60, incrementSeconds: 60, minChargeCents: 0 },
    { planId: 'p1', prefix: 'web', pricePerMinMicros: 20_000, minSeconds: 60, incrementSeconds: 60, minChargeCents: 0 },
  ];
  t.like(buildCallRecords(web, 'PJSIP/{number}@carrier', rates, null)[0], { ratePrefix: 'web', pricePerMinMicros: 10_000, billedSec: 120, chargeCents: 2 });
  t.like(buildCallRecords(web, 'PJSIP/{number}@carrier', rates, 'p1')[0], { ratePrefix: 'web', pricePerMinMicros: 20_000, chargeCents: 4 });
});
