/** One event of a Chrome trace (JSON trace format), as far as the main-thread sum reads it. */
export interface TraceEvent { name: string; cat?: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number }

export interface MainThreadBusy {
  /** wall time of the renderer main thread's top-level tasks, from navigation start to the mark, ms */
  wallMs: number;
  /** the thread CPU time of those tasks, ms (what a busy machine barely changes) */
  cpuMs: number;
  /** from navigation start to the mark, ms */
  untilMarkMs: number;
  tasks: number;
}

/**
 * Sums the top-level tasks (`ThreadControllerImpl::RunTask`, category `toplevel`) of the renderer main thread that
 * made the user-timing mark `mark`, from that thread's last navigation start before the mark to the mark. A task
 * that straddles either end (the navigation's commit does) counts for its part inside, its CPU time in the same
 * proportion. Null when the trace holds no such mark.
 */
export function mainThreadBusy(events: readonly TraceEvent[], mark: string): MainThreadBusy | null {
  const end = events.find((e) => e.name === mark && (e.cat ?? '').includes('blink.user_timing'));
  if (!end) return null;
  const same = (e: TraceEvent) => e.pid === end.pid && e.tid === end.tid;
  let start = -Infinity;
  for (const e of events) if (same(e) && e.name === 'navigationStart' && e.ts <= end.ts && e.ts > start) start = e.ts;
  if (!Number.isFinite(start)) return null;
  let wall = 0;
  let cpu = 0;
  let tasks = 0;
  for (const e of events) {
    if (!same(e) || e.ph !== 'X' || e.name !== 'ThreadControllerImpl::RunTask') continue;
    const dur = e.dur ?? 0;
    const inside = Math.min(e.ts + dur, end.ts) - Math.max(e.ts, start);
    if (inside <= 0 && !(dur === 0 && e.ts >= start && e.ts <= end.ts)) continue;
    const share = dur > 0 ? Math.max(0, inside) / dur : 1;
    wall += dur * share;
    cpu += (e.tdur ?? 0) * share;
    tasks++;
  }
  return { wallMs: wall / 1000, cpuMs: cpu / 1000, untilMarkMs: (end.ts - start) / 1000, tasks };
}

/** The trace categories the sum needs (top-level tasks, user timing marks, thread names). */
export const MAIN_THREAD_CATEGORIES = ['toplevel', 'blink.user_timing', '__metadata'];
