import { readFileSync } from 'node:fs';

/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof) by self time: the functions and the packages that burn the CPU.
 * Usage: node --import tsx scripts/bench/profile-summary.ts <file.cpuprofile> [top] [skip-seconds]
 */
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** `skipSec` drops the first seconds of the profile (module loading at start-up) so steady work stands out. */
export function summarizeProfile(p: Profile, top = 25, skipSec = 0): string {
  const self = new Map<number, number>();
  let at = 0;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (at < skipSec * 1e6) continue;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const n of p.nodes) {
    const t = self.get(n.id) ?? 0;
    if (!t) continue;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + t);
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const pkg = m ? m[1]! : url.includes('/src/') ? 'beckon src' : url.startsWith('node:') ? 'node core' : url ? 'other js' : n.callFrame.functionName || '(native)';
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
  }
  const fmt = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k)
    .map(([name, t]) => `${((t / total) * 100).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(6)} ms  ${name}`).join('\n');
  return `total sampled ${(total / 1000).toFixed(0)} ms\n\nby package:\n${fmt(byPkg, 15)}\n\nby function (self time):\n${fmt(byFn, top)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) { process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top] [skip-seconds]\n'); process.exit(2); }
  process.stdout.write(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), Number(process.argv[3] ?? 25), Number(process.argv[4] ?? 0)));
}
