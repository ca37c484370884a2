import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux we run on (USER_HZ). */
const CLK_TCK = 100;

export interface ProcSample { at: number; cpuMs: number; rssMb: number; hwmMb: number }

/** CPU time (user + system) and memory of a process, the way pidusage reads them, from /proc. */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { at: Date.now(), ...parseStat(stat), ...parseStatus(status) };
  } catch {
    return null; // the process is gone
  }
}

/** utime and stime are fields 14 and 15; the command name (field 2) may contain spaces, so count after ')'. */
export function parseStat(stat: string): { cpuMs: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { cpuMs: ((utime + stime) * 1000) / CLK_TCK };
}

export function parseStatus(status: string): { rssMb: number; hwmMb: number } {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/**
 * Samples a process every `everyMs` until stopped: peak RSS seen, and CPU use between two marks
 * (as a share of one core, 100 = one core busy).
 */
export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout;

  constructor(readonly pid: number, everyMs = 250) {
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
    this.timer.unref();
  }

  take(): ProcSample | null {
    const s = sampleProcess(this.pid);
    if (s) this.samples.push(s);
    return s;
  }

  stop(): void { clearInterval(this.timer); this.take(); }

  peakRssMb(from = 0, to = Infinity): number {
    let peak = NaN;
    for (const s of this.samples) if (s.at >= from && s.at <= to && !(s.rssMb <= peak)) peak = s.rssMb;
    return peak;
  }

  /** Average CPU use between two times, in percent of one core. */
  cpuPercent(from: number, to: number): number {
    const inside = this.samples.filter((s) => s.at >= from && s.at <= to);
    if (inside.length < 2) return NaN;
    const a = inside[0]!;
    const b = inside[inside.length - 1]!;
    return b.at > a.at ? ((b.cpuMs - a.cpuMs) / (b.at - a.at)) * 100 : NaN;
  }

  cpuMsBetween(from: number, to: number): number {
    const inside = this.samples.filter((s) => s.at >= from && s.at <= to);
    if (inside.length < 2) return NaN;
    return inside[inside.length - 1]!.cpuMs - inside[0]!.cpuMs;
  }
}
