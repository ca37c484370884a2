import { benchRedis, machineCpuMark, redisCpuMs } from './machine-cpu.ts';
import { pgCpuPerUnit, pgMark } from './pg-stats.ts';
import { sampleProcess } from './proc-stats.ts';
import { median } from './stats.ts';

/**
 * What bounds a rate on a machine of `cores`: the CPU every process spends per unit of work (a request, a
 * call), summed, divided into the cores. When the machine is near full during a run, this ceiling is the limit
 * and adding a process of the busiest kind cannot raise the rate past it.
 */
export interface CpuBudget { totalMs: number; ceilingPerSec: number; busiest: string }

export function cpuBudget(perUnitMs: Record<string, number>, cores: number): CpuBudget {
  let totalMs = 0;
  let busiest = '';
  let most = -Infinity;
  for (const [name, ms] of Object.entries(perUnitMs)) {
    if (!Number.isFinite(ms)) continue;
    totalMs += ms;
    if (ms > most) { most = ms; busiest = name; }
  }
  return { totalMs, ceilingPerSec: totalMs > 0 ? (cores * 1000) / totalMs : NaN, busiest };
}

/**
 * One sentence for the report: how busy the machine was and where the CPU per unit went. With `busyCores` NaN
 * (a run whose span includes idle stretches, so its average says nothing) only the ceiling is given.
 */
export function describeBudget(what: string, unit: string, perUnitMs: Record<string, number>, cores: number, busyCores: number, rate: number): string {
  const b = cpuBudget(perUnitMs, cores);
  const parts = Object.entries(perUnitMs).filter(([, ms]) => Number.isFinite(ms)).map(([name, ms]) => `${name} ${ms.toFixed(2)} ms`);
  const ceiling = `(${b.totalMs.toFixed(2)} ms in all, so at most ~${Math.round(b.ceilingPerSec).toLocaleString('en-US')} ${unit}/s on ${cores} cores)`;
  if (!Number.isFinite(busyCores)) {
    return `${what}: ${Math.round(rate).toLocaleString('en-US')} ${unit}/s; CPU per ${unit}: ${parts.join(', ')} ` +
      `(${b.totalMs.toFixed(2)} ms in all, so a sustained rate of at most ~${Math.round(b.ceilingPerSec).toLocaleString('en-US')} ${unit}/s on ${cores} cores).`;
  }
  const full = busyCores >= cores * 0.85;
  return `${what}: ${Math.round(rate).toLocaleString('en-US')} ${unit}/s with ${busyCores.toFixed(1)} of ${cores} cores busy (the whole machine, whatever else runs on it); CPU per ${unit}: ${parts.join(', ')} ` +
    `${ceiling}. ` +
    (full ? `The machine's cores are the limit (${b.busiest} spends the most per ${unit}); more cores or machines, not more processes here, raise it.`
      : `The machine had spare CPU: the limit is elsewhere (one process's event loop, or the load generator's connections).`);
}

/** CPU per unit of work of each kind of process, in ms: web or worker (all of them together), PostgreSQL, Redis, the bench process. */
export interface CpuPerUnit { beckon: number; pg: number; redis: number; bench: number }

export const medianCpu = (c: CpuPerUnit[]): CpuPerUnit => ({
  beckon: median(c.map((x) => x.beckon)), pg: median(c.map((x) => x.pg)), redis: median(c.map((x) => x.redis)), bench: median(c.map((x) => x.bench)),
});

/**
 * CPU of a set of processes, PostgreSQL (none when `db` is null), Redis and the bench process itself, from the
 * mark to the moment `per` is called, and how busy the whole machine was meanwhile.
 */
export async function cpuMark(pids: number[], db: Parameters<typeof pgMark>[0] | null, redis: ReturnType<typeof benchRedis>) {
  const procMs = () => pids.reduce((sum, pid) => sum + (sampleProcess(pid)?.cpuMs ?? NaN), 0);
  const benchMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const p0 = procMs(); const b0 = benchMs(); const r0 = await redisCpuMs(redis); const pg0 = db ? await pgMark(db) : null; const m = machineCpuMark();
  return {
    async per(units: number): Promise<{ cpu: CpuPerUnit; coresBusy: number }> {
      const coresBusy = m.coresBusy();
      const u = Math.max(1, units);
      const cpu = { beckon: (procMs() - p0) / u, bench: (benchMs() - b0) / u, redis: ((await redisCpuMs(redis)) - r0) / u, pg: db && pg0 ? pgCpuPerUnit(pg0, await pgMark(db), units) : 0 };
      return { cpu, coresBusy };
    },
  };
}
