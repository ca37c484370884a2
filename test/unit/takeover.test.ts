import test from 'ava';
import { deadWorkers, takesOverFrom } from '../../src/calls/upkeep/takeover.ts';
import { nextWatch } from '../../src/calls/upkeep/worker-liveness.ts';

const now = Date.parse('2026-11-29T12:00:00Z');
const at = (secAgo: number) => new Date(now - secAgo * 1000);
const WATCHED = 600_000;

test('a worker is taken over only after going without a heartbeat for the whole delay', (t) => {
  const live = [
    { workerId: 'beating', oldestStartedAt: at(600) },
    { workerId: 'silent', oldestStartedAt: at(600) },
    { workerId: 'just-late', oldestStartedAt: at(600) },
  ];
  const ages = new Map([['beating', 3_000], ['silent', 121_000], ['just-late', 119_000]]);
  t.deepEqual(deadWorkers(live, ages, now, 120_000, WATCHED), ['silent']);
});

test('without any heartbeat on record, calls count from their start', (t) => {
  const live = [{ workerId: 'old', oldestStartedAt: at(200) }, { workerId: 'recent', oldestStartedAt: at(30) }];
  t.deepEqual(deadWorkers(live, new Map(), now, 120_000, WATCHED), ['old']);
});

test('nobody is taken over by a worker that has not itself been beating for the whole delay (after a PostgreSQL outage every beat is old)', (t) => {
  const live = [{ workerId: 'other', oldestStartedAt: at(600) }];
  const ages = new Map([['other', 200_000]]);
  t.deepEqual(deadWorkers(live, ages, now, 120_000, 119_000), []);
  t.deepEqual(deadWorkers(live, ages, now, 120_000, 120_000), ['other']);
});

test('the watch restarts after a failed beat or a gap longer than allowed', (t) => {
  let w = nextWatch({ since: null, lastOk: null }, true, 1_000, 15_000);
  t.deepEqual(w, { since: 1_000, lastOk: 1_000 });
  w = nextWatch(w, true, 6_000, 15_000);
  t.deepEqual(w, { since: 1_000, lastOk: 6_000 }, 'beats in time keep the watch going');
  const failed = nextWatch(w, false, 11_000, 15_000);
  t.is(failed.since, null, 'a failed beat ends the watch');
  t.deepEqual(nextWatch(failed, true, 16_000, 15_000), { since: 16_000, lastOk: 16_000 }, 'and the next good one starts it again');
  t.deepEqual(nextWatch(w, true, 30_000, 15_000), { since: 30_000, lastOk: 30_000 }, 'a stalled process starts again too');
});

test('a gone worker is taken over by its own node while that node has a live worker, else by any node', (t) => {
  const live = new Set(['a', 'b']);
  t.true(takesOverFrom('a', 'a', live));
  t.false(takesOverFrom('a', 'b', live), 'node b cannot see node a’s channels; a worker of a does it');
  t.true(takesOverFrom('c', 'b', live), 'node c has no worker left: any node settles its calls');
  t.true(takesOverFrom(undefined, 'b', live), 'a worker not on record: any node');
});
