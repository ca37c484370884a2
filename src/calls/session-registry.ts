import type { Logger } from '../platform/logger.ts';
import { AgentFirstSession } from './session/agent-first-session.ts';
import type { CallSession } from './session/call-session.ts';
import { WebCallSession } from './session/web-call-session.ts';

/** A live call of this worker: customer-first (call-session.ts), agent-first (agent-first-session.ts) or a web call (web-call-session.ts). */
export type LiveSession = CallSession | AgentFirstSession | WebCallSession;

/**
 * The live sessions of this worker, by attempt id; the only holder of them. Telephony events, console commands,
 * recovery and shutdown find a call here and nowhere else.
 *
 * Invariants:
 * - at most one live session per attempt; a session leaves when its call has ended or it is handed to recovery;
 * - a session handed to recovery (serial-session.ts's detach: a write of its state kept failing) is forgotten at
 *   once, its attempt remembered as handed over until recovery rebuilds it from its stored state;
 * - an attempt is rebuilt (resume.ts) by one caller at a time: a reconciliation pass and a takeover may find the
 *   same orphan together.
 */
export class SessionRegistry {
  private readonly live = new Map<string, LiveSession>();
  /** Channels Asterisk named (a web call's browser leg), by channel id: their ids do not name their attempt. */
  private readonly named = new Map<string, string>();
  private readonly handed = new Set<string>();
  private readonly resuming = new Set<string>();
  private handedListener: (() => void) | null = null;

  constructor(private readonly log: Logger) {}

  get count(): number { return this.live.size; }

  get(attemptId: string): LiveSession | undefined { return this.live.get(attemptId); }

  has(attemptId: string): boolean { return this.live.has(attemptId); }

  /** The agent-first session of an attempt (console commands that only such a call takes). */
  agentFirst(attemptId: string): AgentFirstSession | undefined {
    const s = this.live.get(attemptId);
    return s instanceof AgentFirstSession ? s : undefined;
  }

  /** The live sessions now (a copy: sessions may leave while the caller goes through it). */
  list(): LiveSession[] { return [...this.live.values()]; }

  /**
   * Registers a live session. If it is later handed to recovery it leaves at once (its events go nowhere),
   * `release` frees what it held (an agent's reservation), and the listener is told (recovery runs a pass).
   */
  add(attemptId: string, session: LiveSession, release?: () => Promise<void>): void {
    session.storedAt = Date.now();
    session.onDetach = () => {
      this.remove(attemptId, session);
      this.handed.add(attemptId);
      if (release) void release().catch((err: Error) => this.log.warn({ attemptId, err: err.message }, 'agent not released'));
      this.handedListener?.();
    };
    this.live.set(attemptId, session);
    if (session instanceof WebCallSession) this.named.set(session.ids.visitor, attemptId);
  }

  /** The attempt whose leg is a channel Asterisk named (a web call's browser), if it is live here. */
  attemptOfChannel(channelId: string): string | undefined { return this.named.get(channelId); }

  /** Removes the attempt's session if it is still `session` (any session when none is named). */
  remove(attemptId: string, session?: LiveSession): void {
    const live = this.live.get(attemptId);
    if (session !== undefined && live !== session) return;
    this.live.delete(attemptId);
    if (live instanceof WebCallSession) this.named.delete(live.ids.visitor);
  }

  /** Called whenever a session is handed to recovery. */
  onHandedToRecovery(listener: () => void): void { this.handedListener = listener; }

  /** The attempt's session was handed to recovery and not yet rebuilt: recovery adopts it however young it is. */
  wasHandedToRecovery(attemptId: string): boolean { return this.handed.has(attemptId); }

  /** Recovery has dealt with the attempt (rebuilt or ended it). */
  recovered(attemptId: string): void { this.handed.delete(attemptId); }

  /**
   * Marks the attempt as being rebuilt; false when it has a live session or is being rebuilt already (nothing to do).
   * `resumed` ends the mark.
   */
  startResume(attemptId: string): boolean {
    if (this.live.has(attemptId) || this.resuming.has(attemptId)) return false;
    this.resuming.add(attemptId);
    return true;
  }

  resumed(attemptId: string): void { this.resuming.delete(attemptId); }
}
