import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `npm run bench` as a quick smoke run: every scenario starts its processes, puts its load through and passes its
// own self-check (every request stored, final, dialed once, nothing left up). The figures themselves depend on
// the machine and what else runs on it, so none is asserted here; only that each scenario produced one.

test('the quick bench runs every scenario, passes its self-check and reports a figure for each line', async (t) => {
  t.timeout(540_000);
  const out = join(mkdtempSync(join(tmpdir(), 'beckon-bench-smoke-')), 'RESULTS.md');
  const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/run.ts'], {
    env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: out, BENCH_PROFILE: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let progress = '';
  proc.stderr.on('data', (d: Buffer) => { progress += d.toString(); });
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const report = readFileSync(out, 'utf8');
  t.is(code, 0, `bench exited ${code}:\n${progress.slice(-3000)}\n${report.split('## Self-check')[1]?.slice(0, 3000) ?? ''}`);
  t.regex(report, /## Self-check\s+Passed:/);
  const rows = report.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Figure') && !l.startsWith('|---'));
  t.true(rows.length >= 20, `${rows.length} figure lines`);
  const missing = rows.filter((l) => l.split('|')[2]!.trim() === 'n/a').map((l) => l.split('|')[1]!.trim());
  t.deepEqual(missing, [], 'every figure was measured');
});
