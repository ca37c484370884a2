import test from 'ava';
import { median, meets, percentile, ratio, steadyRate, summarize } from '../../scripts/bench/lib/stats.ts';
import { parseStat, parseStatus } from '../../scripts/bench/lib/proc-stats.ts';
import { fmtRatio, renderReport, verdict, type Figure, type Report } from '../../scripts/bench/lib/report.ts';
import { buildFigures } from '../../scripts/bench/lib/figures.ts';
import { PhoneSequence } from '../../scripts/bench/lib/phones.ts';
import { parsePhone } from '../../src/phone/phone-number.ts';

test('percentile is nearest-rank over unsorted samples', (t) => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  t.is(percentile(xs, 50), 5);
  t.is(percentile(xs, 99), 10);
  t.is(percentile(xs, 0), 1);
  t.is(percentile(xs, 100), 10);
  t.is(percentile([7], 99), 7);
  t.true(Number.isNaN(percentile([], 50)));
  t.throws(() => percentile(xs, 101), { instanceOf: RangeError });
  // 1..1000: p99 is the 990th value, not the maximum.
  t.is(percentile(Array.from({ length: 1000 }, (_, i) => i + 1), 99), 990);
});

test('median of runs: odd, even, ignores NaN from a failed run', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(median([NaN, 5, 7, 6]), 6);
  t.true(Number.isNaN(median([])));
});

test('summarize gives count, p50, p99, max and mean', (t) => {
  const s = summarize([1, 2, 3, 4, 100]);
  t.deepEqual(s, { count: 5, p50: 3, p99: 100, max: 100, mean: 22 });
  t.is(summarize([]).count, 0);
});

test('steadyRate trims ramp-up and tail before dividing', (t) => {
  // 100 events/s steady, then a slow tail that must not drag the rate down.
  const stamps = Array.from({ length: 200 }, (_, i) => i * 10);
  for (let i = 0; i < 10; i++) stamps.push(2000 + i * 500);
  const r = steadyRate(stamps);
  t.true(r > 95 && r < 105, `rate ${r}`);
  t.true(Number.isNaN(steadyRate([1, 2, 3])));
  t.true(Number.isNaN(steadyRate([5, 5, 5, 5, 5, 5])));
});

test('ratio and meets: no verdict from missing numbers', (t) => {
  t.is(ratio(50, 200), 0.25);
  t.true(Number.isNaN(ratio(1, 0)));
  t.true(meets(2000, { direction: 'min', limit: 2000 }));
  t.false(meets(1999, { direction: 'min', limit: 2000 }));
  t.true(meets(50, { direction: 'max', limit: 50 }));
  t.false(meets(NaN, { direction: 'max', limit: 50 }));
});

test('/proc parsing: CPU from stat (command names with spaces), RSS and peak from status', (t) => {
  const stat = '4242 (node --import tsx) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 11 0 100 1000000 5000 18446744073709551615';
  t.is(parseStat(stat).cpuMs, 3000);
  const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
  t.deepEqual(parseStatus(status), { rssMb: 100, hwmMb: 200 });
});

test('phone sequence: unique numbers the server accepts as callable US numbers', (t) => {
  const seq = new PhoneSequence(12_345);
  const numbers = seq.take(3000);
  t.is(new Set(numbers).size, numbers.length);
  for (const n of numbers.filter((_, i) => i % 10 === 0)) {
    const p = parsePhone(n, 'US');
    t.true(p.ok, n);
    if (p.ok) {
      t.is(p.e164, n);
      t.is(p.country, 'US');
      t.true(['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'VOIP'].includes(p.type ?? ''), `${n} is ${p.type}`);
    }
    t.false(/^\+1\d{3}555/.test(n), `${n} is a fictional 555 number`);
  }
  // Consecutive numbers spread over area codes.
  t.not(numbers[0]!.slice(0, 5), numbers[1]!.slice(0, 5));
  // Excluded numbers (the subscriber's own phone) are never handed out.
  const ex = new PhoneSequence(0, new Set([new PhoneSequence(0).next()]));
  t.not(ex.next(), new PhoneSequence(0).next());
});

test('verdicts are computed from the values: on the value or on the ratio to the baseline', (t) => {
  const rps: Figure = { name: 'rps', unit: 'req/s', ours: 2100, baseline: 10_000, baselineName: 'bare', target: { direction: 'min', limit: 2000, text: '≥ 2000' } };
  t.is(verdict(rps), 'met');
  t.is(verdict({ ...rps, target: { direction: 'min', limit: 0.25, on: 'ratio', text: '≥ 25%' } }), 'missed');
  t.is(fmtRatio(rps), '21%');
  t.is(fmtRatio({ ...rps, unit: 'ms', ours: 30, baseline: 10 }), '3.0×');
  t.is(verdict({ ...rps, ours: NaN }), 'missed');
  t.is(verdict({ ...rps, target: undefined }), '');
});

test('a scenario that did not run shows as n/a and misses its target; self-check problems make the report say FAILED', (t) => {
  const figures = buildFigures({});
  const accept = figures.find((f) => f.name.startsWith('Accept: requests/s'))!;
  t.true(Number.isNaN(accept.ours));
  t.is(verdict(accept), 'missed');
  const report: Report = {
    date: new Date('2026-01-02T03:04:05Z'), quick: false, runs: 3, durationSec: 480,
    machine: { cpu: 'Test CPU', cores: 2, ramGb: 8, node: 'v20', os: 'Linux', postgres: 'PostgreSQL 15', redis: '7', loadBefore: [1, 1, 1], loadAfter: [2, 2, 2] },
    figures, problems: ['dial rate run 1: 3 visitors were dialed more than once'], notes: [], method: ['how'],
  };
  const md = renderReport(report);
  t.regex(md, /\| Accept: requests\/s \(0 connections\) \| n\/a \|/);
  t.regex(md, /\*\*FAILED\*\* \(1 problem\)/);
  t.regex(md, /- dial rate run 1: 3 visitors were dialed more than once/);
  t.regex(md, /Test CPU, 2 cores, 8 GB RAM/);
  t.notRegex(renderReport({ ...report, problems: [] }), /FAILED/);
});

test('no ratio against a baseline at the resolution of the measurement', (t) => {
  const dial: Figure = { name: 'p50', unit: 'ms', ours: 2000, baseline: -0.04, baselineName: 'bare', ratioFloor: 1 };
  t.is(fmtRatio(dial), 'n/a');
  t.is(fmtRatio({ ...dial, baseline: 0.5 }), 'n/a');
  t.is(fmtRatio({ ...dial, baseline: 20 }), '100.0×');
  // Without a floor, a small positive baseline (CPU per request) still gives a ratio; zero or less never does.
  t.is(fmtRatio({ ...dial, ours: 1.9, baseline: 0.08, ratioFloor: undefined }), '23.8×');
  t.is(fmtRatio({ ...dial, baseline: 0, ratioFloor: undefined }), 'n/a');
});
