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

/** One sentence for the report: how busy the machine was and where the CPU per unit went. */
export function describeBudget(what: string, unit: string, perUnitMs: Record<string, number>, cores: number, busyCores: number, rate: number): string {
  const b = cpuBudget(perUnitMs, cores);
  const parts = Object.entries(perUnitMs).filter(([, ms]) => Number.isFinite(ms)).map(([name, ms]) => `${name} ${ms.toFixed(2)} ms`);
  const full = busyCores >= cores * 0.85;
  return `${what}: ${Math.round(rate).toLocaleString('en-US')} ${unit}/s with ${busyCores.toFixed(1)} of ${cores} cores busy (the whole machine, whatever else runs on it); CPU per ${unit}: ${parts.join(', ')} ` +
    `(${b.totalMs.toFixed(2)} ms in all, so at most ~${Math.round(b.ceilingPerSec).toLocaleString('en-US')} ${unit}/s on ${cores} cores). ` +
    (full ? `The machine's cores are the limit (${b.busiest} spends the most per ${unit}); more cores or machines, not more processes here, raise it.`
      : `The machine had spare CPU: the limit is elsewhere (one process's event loop, or the load generator's connections).`);
}
