import test from 'ava';
import { mainThreadBusy, type TraceEvent } from '../../scripts/bench/lib/trace-main-thread.ts';

const task = (pid: number, ts: number, dur: number, tdur: number): TraceEvent => ({ name: 'ThreadControllerImpl::RunTask', cat: 'toplevel', ph: 'X', pid, tid: pid, ts, dur, tdur });
const mark = (name: string, pid: number, ts: number): TraceEvent => ({ name, cat: 'blink.user_timing', ph: name === 'navigationStart' ? 'R' : 'I', pid, tid: pid, ts });

test('sums the marking thread\'s tasks from its navigation start to the mark, clipping those that straddle either end', (t) => {
  const events = [
    mark('navigationStart', 1, 500), // an earlier navigation of the same thread: the last one before the mark counts
    mark('navigationStart', 1, 1000),
    task(1, 900, 200, 100), // half inside
    task(1, 1500, 100, 80),
    task(2, 1500, 100, 80), // another renderer
    task(1, 1950, 100, 60), // half inside
    task(1, 2500, 100, 80), // after the mark
    mark('bench-end', 1, 2000),
  ];
  const b = mainThreadBusy(events, 'bench-end')!;
  t.is(b.tasks, 3);
  t.is(b.wallMs, 0.25);
  t.is(b.cpuMs, 0.16);
  t.is(b.untilMarkMs, 1);
});

test('no mark, or no navigation start before it, gives null', (t) => {
  t.is(mainThreadBusy([task(1, 0, 10, 5)], 'bench-end'), null);
  t.is(mainThreadBusy([mark('bench-end', 1, 10), mark('navigationStart', 1, 20)], 'bench-end'), null);
});
