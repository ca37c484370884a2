import type { Logger } from '../platform/logger.ts';
import { AgentFirstSession } from './session/agent-first-session.ts';
import type { CallSession } from './session/call-session.ts';

/** A live call of this worker: customer-first (call-session.ts) or agent-first (agent-first-session.ts). */
export type LiveSession = CallSession | AgentFirstSession;

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
  }

  /** Removes the attempt's session if it is still `session` (any session when none is named). */
  remove(attemptId: string, session?: LiveSession): void {
    if (session === undefined || this.live.get(attemptId) === session) this.live.delete(attemptId);
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
