import test from 'ava';
import {
  canMove, checkEntry, checkMove, FINAL_STATUSES, IN_CALL_STATUSES, IllegalRequestMove, legalFrom, legalTo, OPEN_STATUSES, REQUEST_STATUSES,
  WAITING_STATUSES, type RequestStatus,
} from '../../src/requests/request-lifecycle.ts';

// The moves the writers make (accept, claim, dial-time refusals, cancel, agent reschedule and back in line,
// bridged, settling after an attempt), spelled out here apart from the module's table.
const LEGAL: Record<RequestStatus, RequestStatus[]> = {
  queued: ['dialing', 'scheduled', 'expired', 'failed', 'canceled'],
  scheduled: ['dialing', 'scheduled', 'expired', 'failed', 'canceled'],
  dialing: ['connected', 'queued', 'scheduled', 'completed', 'failed', 'expired', 'canceled'],
  connected: ['scheduled', 'completed', 'failed', 'expired', 'canceled'],
  completed: [],
  failed: [],
  expired: [],
  canceled: [],
};

test('every legal move is accepted and every other pair of statuses raises IllegalRequestMove', (t) => {
  let legal = 0;
  for (const from of REQUEST_STATUSES) {
    for (const to of REQUEST_STATUSES) {
      if (LEGAL[from].includes(to)) {
        legal++;
        t.true(canMove(from, to), `${from} -> ${to}`);
        t.notThrows(() => checkMove([from], to), `${from} -> ${to}`);
      } else {
        t.false(canMove(from, to), `${from} -> ${to}`);
        const err = t.throws(() => checkMove([from], to), { instanceOf: IllegalRequestMove }, `${from} -> ${to}`);
        t.like(err, { name: 'IllegalRequestMove', from, to });
      }
    }
  }
  t.is(legal, 22);
});

test('legalFrom and legalTo read the same table', (t) => {
  for (const s of REQUEST_STATUSES) {
    t.deepEqual([...legalTo(s)].sort(), [...LEGAL[s]].sort(), `from ${s}`);
    t.deepEqual(legalFrom(s), REQUEST_STATUSES.filter((from) => LEGAL[from].includes(s)), `to ${s}`);
  }
  t.deepEqual(legalFrom('dialing'), ['queued', 'scheduled'], 'a claim takes a request that waits');
  t.deepEqual(legalFrom('connected'), ['dialing']);
});

test('a list of statuses moves only if each may: one illegal member raises', (t) => {
  t.notThrows(() => checkMove(['dialing', 'connected'], 'completed'));
  t.notThrows(() => checkMove(WAITING_STATUSES, 'canceled'));
  t.throws(() => checkMove(['dialing', 'connected'], 'queued'), { instanceOf: IllegalRequestMove, message: 'illegal request move: connected -> queued' });
  t.throws(() => checkMove(['queued', 'completed'], 'failed'), { instanceOf: IllegalRequestMove, message: 'illegal request move: completed -> failed' });
  t.throws(() => checkMove([], 'failed'), { instanceOf: IllegalRequestMove }, 'a list that moves nothing');
  t.throws(() => checkMove(['queued'], 'bogus'), { instanceOf: IllegalRequestMove });
  t.throws(() => checkMove(['bogus'], 'failed'), { instanceOf: IllegalRequestMove });
});

test('final statuses have no way out; open ones are waiting or in a call', (t) => {
  for (const s of FINAL_STATUSES) t.deepEqual(legalTo(s), [], s);
  for (const s of REQUEST_STATUSES) t.is(FINAL_STATUSES.has(s), !OPEN_STATUSES.includes(s), s);
  t.deepEqual([...OPEN_STATUSES], [...WAITING_STATUSES, ...IN_CALL_STATUSES]);
  // Every open status has a way to end, and every final one is reached from somewhere.
  for (const s of OPEN_STATUSES) t.true(legalTo(s).some((to) => FINAL_STATUSES.has(to)), s);
  for (const s of FINAL_STATUSES) t.true(legalFrom(s).length > 0, s);
});

test('a new request is stored queued or scheduled, nothing else', (t) => {
  t.notThrows(() => checkEntry('queued'));
  t.notThrows(() => checkEntry('scheduled'));
  for (const s of REQUEST_STATUSES.filter((x) => x !== 'queued' && x !== 'scheduled')) {
    t.throws(() => checkEntry(s), { instanceOf: IllegalRequestMove }, s);
  }
});
