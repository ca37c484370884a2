import test from 'ava';
import { deadWorkers } from '../../src/calls/takeover.ts';

const now = Date.parse('2026-11-29T12:00:00Z');
const at = (secAgo: number) => new Date(now - secAgo * 1000);

test('a worker is taken over only after going without a heartbeat for the whole delay', (t) => {
  const live = [
    { workerId: 'beating', oldestStartedAt: at(600) },
    { workerId: 'silent', oldestStartedAt: at(600) },
    { workerId: 'just-late', oldestStartedAt: at(600) },
  ];
  const beats = new Map([['beating', now - 3_000], ['silent', now - 121_000], ['just-late', now - 119_000]]);
  t.deepEqual(deadWorkers(live, beats, now, 120_000), ['silent']);
});

test('without any heartbeat on record, calls count from their start (a worker that beat before Redis was emptied is not ended at once)', (t) => {
  const live = [{ workerId: 'old', oldestStartedAt: at(200) }, { workerId: 'recent', oldestStartedAt: at(30) }];
  t.deepEqual(deadWorkers(live, new Map(), now, 120_000), ['old']);
});
