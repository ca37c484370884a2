import test from 'ava';
import { checkAccept, checkCalls, type AcceptTally, type CallsCheckInput, type RequestRow } from '../../scripts/bench/lib/self-check.ts';

const goodAccept: AcceptTally = { ok: 1000, non2xx: 0, errors: 0, timeouts: 0, rowsAdded: 1010, inFlight: 32, notEnqueued: 0, jobsWaiting: 5000, rowsTotal: 5000 };

test('accept: a clean run passes', (t) => {
  t.deepEqual(checkAccept(goodAccept), []);
});

test('accept: refusals, errors, lost or phantom rows and missing jobs are all caught', (t) => {
  t.regex(checkAccept({ ...goodAccept, non2xx: 3 }).join(), /3 answers were not 2xx/);
  t.regex(checkAccept({ ...goodAccept, errors: 1 }).join(), /1 connection errors/);
  // A 202 without a committed row is the "fast wrong" case the check exists for.
  t.regex(checkAccept({ ...goodAccept, rowsAdded: 999 }).join(), /1000 requests answered 2xx but 999 rows/);
  // More rows than answers plus what was in flight when the load stopped: something else wrote.
  t.regex(checkAccept({ ...goodAccept, rowsAdded: 1033 }).join(), /but 1033 rows/);
  t.regex(checkAccept({ ...goodAccept, notEnqueued: 2 }).join(), /2 stored requests never reached the queue/);
  t.regex(checkAccept({ ...goodAccept, jobsWaiting: 4999 }).join(), /5000 stored requests but 4999 jobs/);
  t.regex(checkAccept({ ...goodAccept, ok: 0, rowsAdded: 0 }).join(), /no request was accepted/);
});

const row = (id: string, phone: string, over: Partial<RequestRow> = {}): RequestRow => ({ id, phone, status: 'failed', attempts: 1, outcomes: ['busy'], ...over });
const dial = (n: number, phone: string) => ({ channelId: `bk-v-0000000${n}-aaaa-bbbb-cccc-dddddddddddd`, number: phone.slice(1), endpoint: `PJSIP/${phone.slice(1)}@carrier` });

function input(over: Partial<CallsCheckInput> = {}): CallsCheckInput {
  return {
    acceptedIds: ['a', 'b'],
    rows: [row('a', '+12015550101'), row('b', '+12015550102')],
    originates: [dial(1, '+12015550101'), dial(2, '+12015550102')],
    expectOutcome: 'busy',
    expectStatus: 'failed',
    ...over,
  };
}

test('calls: every request final, one attempt, expected outcome, each visitor dialed once: passes', (t) => {
  t.deepEqual(checkCalls(input()), []);
});

test('calls: a request that never finished or ended otherwise is caught', (t) => {
  t.regex(checkCalls(input({ rows: [row('a', '+12015550101', { status: 'dialing' }), row('b', '+12015550102')] })).join(), /1 requests never reached a final state \(e.g. a is dialing\)/);
  t.regex(checkCalls(input({ rows: [row('a', '+12015550101', { status: 'completed', outcomes: ['answered'] }), row('b', '+12015550102')] })).join(), /ended completed instead of failed/);
  t.regex(checkCalls(input({ rows: [row('a', '+12015550101', { outcomes: ['no_answer'] }), row('b', '+12015550102')] })).join(), /outcome other than busy/);
  t.regex(checkCalls(input({ rows: [row('a', '+12015550101')] })).join(), /1 accepted requests are not in the database/);
});

test('calls: a double dial shows as two originates of one number, or one channel id twice, or two attempts', (t) => {
  const twice = checkCalls(input({ originates: [dial(1, '+12015550101'), dial(3, '+12015550101'), dial(2, '+12015550102')] }));
  t.regex(twice.join(), /1 visitors were dialed more than once/);
  const sameChannel = checkCalls(input({ originates: [dial(1, '+12015550101'), dial(1, '+12015550101'), dial(2, '+12015550102')] }));
  t.regex(sameChannel.join(), /1 channel ids were originated more than once/);
  t.regex(checkCalls(input({ rows: [row('a', '+12015550101', { attempts: 2, outcomes: ['busy', 'busy'] }), row('b', '+12015550102')] })).join(), /have 2 attempts instead of 1/);
});

test('calls: an accepted visitor the simulator never saw is caught; callee legs do not count as visitor dials', (t) => {
  const callee = { channelId: 'bk-c-00000002-aaaa-bbbb-cccc-dddddddddddd', number: '12015550102', endpoint: 'PJSIP/12015550102@carrier' };
  t.regex(checkCalls(input({ originates: [dial(1, '+12015550101'), callee] })).join(), /1 accepted visitors were never dialed/);
});
