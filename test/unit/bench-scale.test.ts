import test from 'ava';
import { coresBusy, parseProcStat, parseRedisCpuMs } from '../../scripts/bench/lib/machine-cpu.ts';
import { cpuBudget, describeBudget } from '../../scripts/bench/lib/cpu-budget.ts';
import { buildFigures } from '../../scripts/bench/lib/figures.ts';

test('/proc/stat: busy is everything but idle and iowait; guest time is not counted twice', (t) => {
  const stat = 'cpu  100 5 50 800 20 3 2 10 7 1\ncpu0 50 2 25 400 10 1 1 5 3 0\nintr 1 2 3\n';
  t.deepEqual(parseProcStat(stat), { busy: 170, total: 990 });
  t.throws(() => parseProcStat('intr 1 2\n'));
});

test('cores busy is the busy share of the ticks between two readings, times the cores', (t) => {
  t.is(coresBusy({ busy: 100, total: 400 }, { busy: 250, total: 600 }, 2), 1.5);
  t.true(Number.isNaN(coresBusy({ busy: 1, total: 1 }, { busy: 1, total: 1 }, 2)));
});

test('Redis CPU comes from INFO cpu, user plus system, in ms', (t) => {
  t.is(parseRedisCpuMs('# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:2.250000\r\nused_cpu_sys_children:9.0\r\n'), 3750);
  t.true(Number.isNaN(parseRedisCpuMs('# CPU\r\n')));
});

test('the CPU budget sums what each process spends per unit and divides it into the cores', (t) => {
  const b = cpuBudget({ web: 0.5, PostgreSQL: 0.3, Redis: 0.2, missing: NaN }, 2);
  t.is(b.totalMs, 1);
  t.is(b.ceilingPerSec, 2000);
  t.is(b.busiest, 'web');
  t.true(Number.isNaN(cpuBudget({}, 2).ceilingPerSec));
});

test('the budget sentence names the cores as the limit only when the machine was near full', (t) => {
  const full = describeBudget('accept', 'request', { web: 0.5, PostgreSQL: 0.5 }, 2, 1.9, 1800);
  t.regex(full, /1,800 request\/s with 1\.9 of 2 cores busy/);
  t.regex(full, /at most ~2,000 request\/s/);
  t.regex(full, /cores are the limit \(web/);
  t.regex(describeBudget('accept', 'request', { web: 0.5 }, 2, 1.0, 1000), /spare CPU/);
});

test('scale-out figures put two processes next to one, as n/a when the scenario did not run', (t) => {
  const none = buildFigures({}).filter((f) => f.name.startsWith('Scale-out'));
  t.true(none.length >= 2);
  t.true(none.every((f) => Number.isNaN(f.ours)));
  const run = { rps: 0, p99: 0, ok: 0, coresBusy: 0, cpu: { beckon: 0, pg: 0, redis: 0, bench: 0 } };
  const dial = { rate: 0, coresBusy: 0, cpu: run.cpu, perNode: {} };
  const scale = {
    cores: 2, connectionsPerWeb: 32, burst: 200, accept: { one: [], two: [] }, dial: { one: [], two: [] }, problems: [], logProblems: [], notes: [],
    median: { accept: { one: { ...run, rps: 1000 }, two: { ...run, rps: 1500 } }, dial: { one: { ...dial, rate: 300 }, two: { ...dial, rate: 450 } } },
  };
  const f = buildFigures({ scale }).filter((x) => x.name.startsWith('Scale-out'));
  const accept = f.find((x) => x.name.includes('accept requests/s'))!;
  t.deepEqual([accept.ours, accept.baseline, accept.baselineName], [1500, 1000, '1 web process']);
  const rate = f.find((x) => x.name.includes('originates/s'))!;
  t.deepEqual([rate.ours, rate.baseline, rate.baselineName], [450, 300, '1 worker']);
});

test('describeBudget without a meaningful busy figure gives the ceiling and no verdict', (t) => {
  const s = describeBudget('Dial rate, one worker', 'call', { worker: 3, PostgreSQL: 1.5, Redis: 0.5 }, 2, NaN, 400);
  t.regex(s, /5\.00 ms in all, so a sustained rate of at most ~400 call\/s on 2 cores/);
  t.notRegex(s, /spare CPU|cores are the limit|cores busy/);
});

test('dialRateNotes: what 90% of the bare client leaves per call, against what Beckon spends', async (t) => {
  const { dialRateNotes } = await import('../../scripts/bench/scenarios/dial-rate.ts');
  const cpu = (beckon: number, pg: number, redis: number, bench: number) => ({ beckon, pg, redis, bench });
  const notes = dialRateNotes({ median: { beckon: 400, bare: 800, beckonCpu: cpu(3, 1.5, 0.2, 0.6), bareCpu: cpu(1.7, 0, 0, 0.6) } }, 2, 0.9);
  t.is(notes.length, 3);
  t.regex(notes[2]!, /90% of the bare client \(720 calls\/s\), sustained, leaves each call at most 2\.78 ms/);
  t.regex(notes[2]!, /Beckon's calls take 5\.30 ms, of which PostgreSQL and Redis 1\.70 ms/);
});
