import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sim } from '../../../src/sim/index.ts';
import { spawnNode, waitForLog, type Child } from './children.ts';
import type { BenchContext } from './context.ts';

/** Calls up and bridged at the simulator: bridges holding two Up channels whose ids start with `prefix` (one side's calls only, whatever another run left behind). */
export function bridgedCalls(sim: Sim, prefix: string): number {
  const perBridge = new Map<string, number>();
  for (const c of sim.channels() as { id: string; bridge_id: string | null; state: string }[]) {
    if (c.bridge_id && c.state === 'Up' && c.id.startsWith(prefix)) perBridge.set(c.bridge_id, (perBridge.get(c.bridge_id) ?? 0) + 1);
  }
  let n = 0;
  for (const k of perBridge.values()) if (k === 2) n++;
  return n;
}

/** What the simulator holds, for a failed check: bridges by number of legs up, channels outside any bridge by state. */
export function describeSimCalls(sim: Sim, prefix: string): string {
  const perBridge = new Map<string, number>();
  const loose = new Map<string, number>();
  for (const c of sim.channels() as { id: string; bridge_id: string | null; state: string }[]) {
    if (!c.id.startsWith(prefix) && !c.bridge_id) continue;
    if (c.bridge_id) perBridge.set(c.bridge_id, (perBridge.get(c.bridge_id) ?? 0) + (c.state === 'Up' ? 1 : 0));
    else loose.set(c.state, (loose.get(c.state) ?? 0) + 1);
  }
  const legs = new Map<number, number>();
  for (const n of perBridge.values()) legs.set(n, (legs.get(n) ?? 0) + 1);
  const b = [...legs].map(([n, k]) => `${k} bridges with ${n} legs up`).join(', ') || 'no bridges';
  const l = [...loose].map(([st, k]) => `${k} ${st}`).join(', ') || 'none';
  return `${b}; channels outside a bridge: ${l}`;
}

/**
 * Polls `count` until it reaches `target`, or stops rising for `stallMs` (a call that will never come up must
 * not hold the bench for minutes), or time runs out. Returns the last count.
 */
export async function untilCount(count: () => number, target: number, o: { timeoutMs: number; stallMs: number; everyMs?: number }): Promise<number> {
  const deadline = Date.now() + o.timeoutMs;
  let best = -1;
  let bestAt = Date.now();
  for (;;) {
    const n = count();
    if (n >= target || Date.now() >= deadline) return n;
    if (n > best) { best = n; bestAt = Date.now(); } else if (Date.now() - bestAt >= o.stallMs) return n;
    await sleep(o.everyMs ?? 200);
  }
}

/** Polls until pred holds; returns false when time runs out. */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pred()) return true;
    await sleep(everyMs);
  }
  return !!(await pred());
}

export interface BareAri { child: Child; go(): void }

/** The bare ARI client baseline (baselines/bare-ari.ts) as a child, connected and waiting for go(). */
export async function spawnBareAri(ctx: BenchContext, sim: Sim, name: string, numbers: string[], callee: string): Promise<BareAri> {
  const file = join(ctx.logDir, `${name}-numbers.json`);
  writeFileSync(file, JSON.stringify(numbers));
  const child = spawnNode({
    name, args: ['scripts/bench/baselines/bare-ari.ts'], logDir: ctx.logDir,
    env: { ARI_URL: sim.ariUrl, APP: 'bare-ari', NUMBERS_FILE: file, CALLEE: callee, CONCURRENCY: '50' },
    cpuProfDir: ctx.profile.has('bare-ari') ? ctx.profDir : undefined,
  });
  await waitForLog(child, 'bare ari ready');
  return { child, go: () => child.proc.kill('SIGUSR2') };
}
