import type { MessageKey } from './i18n.ts';

/** What the status stream sends (`status` and `attempt` events carry the same view; `attempt` adds `phase`). */
export interface StatusEvent {
  status: string;
  /** what is happening now (finding, calling, connecting, connected, on_hold…), read from the stored call state */
  stage?: string | null;
  phase?: string | null;
  scheduledAt?: string | null;
  reason?: string | null;
  estimatedWaitSec?: number | null;
  attempts?: { n: number; outcome: string | null; startedAt?: string; endedAt?: string | null }[];
}

export type Step = 'queued' | 'calling' | 'connecting' | 'connected' | 'ended';

export interface Progress {
  step: Step;
  key: MessageKey;
  vars: Record<string, string | number>;
  /** The visitor may still cancel (nothing is ringing yet). */
  cancellable: boolean;
  final: boolean;
}

const FINAL = new Set(['completed', 'failed', 'expired', 'canceled']);

/**
 * Turns one status event into what the visitor reads. Pure: `formatTime` renders an ISO instant in the visitor's
 * zone and language, `name` is the subscriber's display name.
 */
export function describe(e: StatusEvent, name: string, formatTime: (iso: string) => string): Progress {
  const attempts = e.attempts ?? [];
  const last = attempts[attempts.length - 1];
  const base = { vars: { name } as Record<string, string | number>, cancellable: false, final: false };
  switch (e.status) {
    case 'queued':
      if (e.estimatedWaitSec && e.estimatedWaitSec > 0) {
        return { ...base, step: 'queued', key: 'queuedWait', vars: { name, minutes: Math.max(1, Math.round(e.estimatedWaitSec / 60)) }, cancellable: true };
      }
      return { ...base, step: 'queued', key: 'queued', cancellable: true };
    case 'scheduled': {
      const when = e.scheduledAt ? formatTime(e.scheduledAt) : '';
      // Back to `scheduled` after an attempt means a retry is planned, not a first appointment.
      const retry = !!last && last.outcome !== null && last.outcome !== 'answered';
      return { ...base, step: 'queued', key: retry ? 'retryAt' : 'scheduledAt', vars: { name, when }, cancellable: true };
    }
    case 'dialing':
      // Agent-first: an agent is offered the call and rung before the visitor's phone rings.
      if (e.stage === 'finding') return { ...base, step: 'queued', key: 'finding' };
      if (e.stage === 'on_hold' || e.phase === 'on_hold') return { ...base, step: 'connected', key: 'onHold' };
      if (e.stage === 'connected' || e.phase === 'connected') return { ...base, step: 'connected', key: 'connected' };
      if (e.stage === 'connecting' || e.phase === 'visitor_answered' || e.phase === 'calling_callee') return { ...base, step: 'connecting', key: 'connecting' };
      return { ...base, step: 'calling', key: 'calling' };
    case 'connected':
      if (e.stage === 'on_hold' || e.phase === 'on_hold') return { ...base, step: 'connected', key: 'onHold' };
      return { ...base, step: 'connected', key: 'connected' };
    case 'completed':
      return { ...base, step: 'ended', key: 'completed', final: true };
    case 'canceled':
      return { ...base, step: 'ended', key: 'canceled', final: true };
    case 'expired':
      return { ...base, step: 'ended', key: 'expired', final: true };
    case 'failed': {
      const outcome = last?.outcome;
      const key: MessageKey = outcome === 'busy' ? 'failed_busy'
        : outcome === 'no_answer' || outcome === 'no_human' ? 'failed_noanswer'
        : outcome === 'callee_unanswered' ? 'failed_callee' : 'failed';
      return { ...base, step: 'ended', key, final: true };
    }
    default:
      return { ...base, step: 'queued', key: 'queued', final: FINAL.has(e.status) };
  }
}

/** Slots grouped by the visitor's local day, for the time picker's option groups. */
export function groupSlots(slots: readonly string[], dayKey: (iso: string) => string): { day: string; slots: string[] }[] {
  const out: { day: string; slots: string[] }[] = [];
  for (const s of slots) {
    const day = dayKey(s);
    const g = out[out.length - 1];
    if (g && g.day === day) g.slots.push(s); else out.push({ day, slots: [s] });
  }
  return out;
}
