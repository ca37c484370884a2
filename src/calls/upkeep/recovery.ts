import type { Logger } from '../../platform/logger.ts';
import type { Pool } from '../../platform/db/pool.ts';
import type { TelephonyPort } from '../../telephony/telephony-port.ts';
import { findAttemptCallee, listLiveAttempts, type AttemptRow } from '../attempt.repository.ts';
import { listStrandedRequests } from '../../requests/callback.repository.ts';
import type { SerialSession } from '../session/serial-session.ts';
import { callIds } from '../session/call-ids.ts';
import type { CallEvent, CallState, Effect, Outcome, Transition } from '../flow/call-state.ts';
import type { CallSession } from '../session/call-session.ts';
import type { AgentFirstEvent, AgentFirstState } from '../flow/agent-first-state.ts';
import type { CalleeTarget, Dialer } from '../dialer.ts';

/**
 * Reconciling calls with Asterisk after events were lost: on worker start (attempts a previous process of
 * this WORKER_ID left in flight) and after the ARI WebSocket comes back (events during the gap are gone for
 * good). Asterisk's channel list is the truth; PostgreSQL and memory are brought in line with it.
 *
 * What happens to an attempt (decided by the pure `reconcileAttempt`):
 * - a leg we were waiting on is gone: the call is finished as `lost` — before the visitor spoke to anyone
 *   the outcome is `failed` (cause unknown) and the retry policy decides; once connected it is `answered`.
 * - a leg answered while we were not listening: the missed event is replayed (visitor.answered /
 *   callee.answered) and the flow goes on.
 * - a ringing visitor leg, or a connected call with both legs up, is re-adopted: a session is rebuilt in the
 *   stored state and carries on (the visitor keeps talking; the ringing phone may still be answered).
 * - a call mid-prompt in a new process (confirming, whisper, or ringing the callee without the visitor's
 *   channel state known) cannot be resumed faithfully: its legs are hung up cleanly and it counts as
 *   `failed`, so the policy retries it. Never left up, never dialed twice: a retry is a new attempt.
 */

/** The session-level event that ends a call whose legs were lost (or that we hang up to recover). */
export interface LostEvent {
  type: 'lost'; reason: string; visitorUp: boolean; calleeUp: boolean;
  /** false: the session knows the bridge was never confirmed (its connect step failed); absent: a connected call counts as bridged. */
  bridged?: boolean;
}

export function lostTransition(state: CallState, e: LostEvent): Transition {
  const effects: Effect[] = [];
  if (e.visitorUp) effects.push({ kind: 'hangup_visitor' });
  if (e.calleeUp) effects.push({ kind: 'hangup_callee' });
  effects.push({ kind: 'destroy_bridge' });
  // A connected (bridged) visitor has been called back as promised; anything earlier is a failed attempt.
  const outcome: Outcome = { outcome: state === 'connected' && e.bridged !== false ? 'answered' : 'failed', cause: null, causeTxt: e.reason };
  return { to: 'ended', effects, outcome };
}

/** An ARI channel state ('Up', 'Ringing', 'Down', ...), null when the channel is gone, 'unknown' when we cannot tell yet. */
export type Presence = string | null | 'unknown';

export type Reconcile =
  | { action: 'keep' }
  | { action: 'event'; event: CallEvent }
  | { action: 'lost'; reason: string };

export function reconcileAttempt(state: CallState, visitor: Presence, callee: Presence, o: { resumed: boolean; afterGap?: boolean }): Reconcile {
  const gone = (p: Presence) => p === null;
  const up = (p: Presence) => p === 'Up';
  switch (state) {
    case 'ended':
      return { action: 'keep' };
    case 'visitor_ringing':
      if (gone(visitor)) return { action: 'lost', reason: 'visitor leg gone before answer (events lost)' };
      if (up(visitor)) return { action: 'event', event: { type: 'visitor.answered' } };
      return { action: 'keep' };
    case 'visitor_confirming':
      if (gone(visitor)) return { action: 'lost', reason: 'visitor leg gone while confirming (events lost)' };
      if (o.resumed) return { action: 'lost', reason: 'interrupted while confirming: worker restarted' };
      // A key pressed while the socket was down is lost for good: the visitor is asked again (once the prompt has ended).
      return o.afterGap && up(visitor) ? { action: 'event', event: { type: 'confirm.ask_again' } } : { action: 'keep' };
    case 'callee_ringing':
      if (gone(visitor)) return { action: 'lost', reason: 'visitor leg gone while calling the callee (events lost)' };
      if (gone(callee)) return { action: 'lost', reason: 'callee leg gone before answer (events lost)' };
      if (up(callee)) return { action: 'event', event: { type: 'callee.answered' } };
      return { action: 'keep' };
    case 'connected':
      if (gone(visitor) || gone(callee)) return { action: 'lost', reason: 'a connected leg ended while events were lost' };
      return { action: 'keep' };
    default:
      // Intermediate states (e.g. callee_whisper) run on timers and prompts we cannot pick up again.
      if (gone(visitor) || gone(callee) || o.resumed) return { action: 'lost', reason: `interrupted in ${state}` };
      return { action: 'keep' };
  }
}

/**
 * The same decision for a live agent-first call (agent-first-state.ts) after events were lost: a leg gone is
 * reported as ended (cause unknown: the state machine decides what that means in each state), a leg answered
 * during the gap as answered; anything else goes on. Only live sessions of this process are reconciled: an
 * agent-first call left by a previous process is ended and put back in line (dialer.resume).
 */
export function reconcileAgentFirst(state: AgentFirstState, agent: Presence, visitor: Presence): { action: 'keep' } | { action: 'event'; event: AgentFirstEvent } {
  const ended = (who: string, type: 'callee.ended' | 'visitor.ended'): { action: 'event'; event: AgentFirstEvent } =>
    ({ action: 'event', event: { type, cause: 0, causeTxt: `${who} leg gone while events were lost` } });
  switch (state) {
    case 'agent_ringing':
      if (agent === null) return ended('agent', 'callee.ended');
      if (agent === 'Up') return { action: 'event', event: { type: 'callee.answered' } };
      return { action: 'keep' };
    case 'visitor_ringing':
      if (agent === null) return ended('agent', 'callee.ended');
      if (visitor === null) return ended('visitor', 'visitor.ended');
      if (visitor === 'Up') return { action: 'event', event: { type: 'visitor.answered' } };
      return { action: 'keep' };
    // While a transfer target rings, the call's own legs are as when connected (the target's leg has its own timer).
    case 'connected': case 'transferring':
      if (visitor === null) return ended('visitor', 'visitor.ended');
      if (agent === null) return ended('agent', 'callee.ended');
      return { action: 'keep' };
    default:
      return { action: 'keep' };
  }
}

export interface RecoveryDeps {
  pool: Pool;
  port: TelephonyPort;
  dialer: Dialer;
  workerId: string;
  log: Logger;
}

/** The stored callee of an attempt (re-adopting must not pick a new agent for a call already under way). */
export async function storedCallee(pool: Pool, attemptId: string): Promise<CalleeTarget> {
  const c = await findAttemptCallee(pool, attemptId);
  return { kind: c?.kind === 'agent' ? 'agent' : 'phone', endpoint: c?.endpoint ?? '', label: 'recovered' };
}

function presence(channels: Map<string, string>, id: string, confirmedBefore: boolean): Presence {
  if (!confirmedBefore) return 'unknown';
  return channels.get(id) ?? null;
}

export interface RecoveryReport { checked: number; kept: number; replayed: number; lost: number; resumed: number; detached: number; settled: number }

/**
 * How long after its last attempt ended a request still `dialing`/`connected` counts as stranded: longer than the
 * worker that ended the attempt retries the request's move itself (CALL_WRITE_RETRY_SEC).
 */
export const STRANDED_GRACE_MS = 45_000;

/**
 * A live session of this process that no longer matches what is stored, and so is handled by nothing: its
 * attempt is no longer live in PostgreSQL (`gone`), or stored in another state than the session holds
 * (`differs`). Only a session with no event under way whose state was stored before the list was read is
 * judged: otherwise the list may simply be older than the session.
 */
export function storedMismatch(s: Pick<SerialSession<string, { type: string }>, 'idle' | 'storedAt' | 'state'>, stored: AttemptRow | undefined, listedAt: number): 'gone' | 'differs' | null {
  if (!s.idle || s.storedAt >= listedAt) return null;
  if (!stored) return 'gone';
  return stored.state === s.state ? null : 'differs';
}

/**
 * One reconciliation pass. Live sessions of this process are checked first, then attempts of this
 * WORKER_ID that have no session here (left by a previous process). Throws when Asterisk cannot be asked;
 * the caller retries (see startRecovery).
 */
export async function reconcile(d: RecoveryDeps, o: { orphanMinAgeMs?: number; graceMs?: number; afterGap?: boolean; strandedGraceMs?: number } = {}): Promise<RecoveryReport> {
  const report: RecoveryReport = { checked: 0, kept: 0, replayed: 0, lost: 0, resumed: 0, detached: 0, settled: 0 };
  // Requests whose attempts all ended but that were never moved on (any worker's: the move is conditional).
  // Needs PostgreSQL only, so it runs before Asterisk is asked.
  for (const r of await listStrandedRequests(d.pool, o.strandedGraceMs ?? STRANDED_GRACE_MS, 500)) {
    if (await d.dialer.settleStranded(r)) report.settled++;
  }
  // What PostgreSQL holds for this worker's calls, read before anything is compared with it.
  const storedAt = Date.now();
  const stored = new Map((await listLiveAttempts(d.pool, d.workerId)).map((a) => [a.id, a]));
  for (const [map, kind] of [[d.dialer.sessions, 'customer_first'], [d.dialer.agentSessions, 'agent_first']] as const) {
    for (const [id, s] of [...map.entries()] as [string, SerialSession<string, { type: string }>][]) {
      // Ended but still registered with nothing under way: its end is stored, the rest of it (the request) is
      // settled as a stranded request; nothing will ever remove it otherwise.
      const mismatch = s.ended ? (s.idle ? 'ended' : null) : storedMismatch(s, stored.get(id), storedAt);
      if (!mismatch) continue;
      report.detached++;
      d.log.error({ attemptId: id, kind, state: s.state, stored: stored.get(id)?.state ?? null, mismatch }, 'call session out of step with PostgreSQL; handed to recovery');
      if (mismatch === 'ended') map.delete(id);
      else s.detach(`stored state ${stored.get(id)?.state ?? 'ended'}, session in ${s.state}`);
    }
  }
  const listedAt = Date.now();
  const channels = new Map((await d.port.listChannels()).map((c) => [c.id, c.state]));
  // With the event socket up, what the channel list shows may already be on its way as an event: a live
  // session's correction then waits `graceMs`, and is dropped if the session has moved on meanwhile (dispatchIf).
  const later = (fn: () => void) => (o.graceMs ? void setTimeout(fn, o.graceMs).unref() : fn());

  /** Counts a decision and queues its correction (none for `kept`). */
  const settle = (kind: 'kept' | 'replayed' | 'lost', correct: () => Promise<void>, live = true) => {
    report.checked++;
    report[kind]++;
    if (kind !== 'kept') (live ? later : (fn: () => void) => fn())(() => void correct());
  };
  const apply = (s: CallSession, state: CallState, decision: Reconcile, legs: { visitorUp: boolean; calleeUp: boolean }, live = true) => {
    if (decision.action === 'keep') settle('kept', async () => {});
    else if (decision.action === 'event') settle('replayed', () => s.dispatchIf(state, decision.event), live);
    else settle('lost', () => s.dispatchIf(state, { type: 'lost', reason: decision.reason, ...legs }), live);
  };

  for (const s of [...d.dialer.sessions.values()]) {
    if (s.ended) continue;
    const ids = s.ids;
    // A leg whose originate had not been confirmed before the list was taken may simply not exist yet.
    const v = presence(channels, ids.visitor, s.visitorOriginatedAt !== null && s.visitorOriginatedAt < listedAt);
    const c = presence(channels, ids.callee, s.calleeOriginatedAt !== null && s.calleeOriginatedAt < listedAt);
    apply(s, s.state, reconcileAttempt(s.state, v, c, { resumed: false, afterGap: o.afterGap }), { visitorUp: v !== null, calleeUp: c !== null && c !== 'unknown' });
  }

  for (const s of [...d.dialer.agentSessions.values()]) {
    if (s.ended) continue;
    const a = presence(channels, s.ids.callee, s.agentOriginatedAt !== null && s.agentOriginatedAt < listedAt);
    const v = presence(channels, s.ids.visitor, s.visitorOriginatedAt !== null && s.visitorOriginatedAt < listedAt);
    const decision = reconcileAgentFirst(s.state, a, v);
    const state = s.state;
    if (decision.action === 'keep') settle('kept', async () => {});
    else settle(decision.event.type.endsWith('.ended') ? 'lost' : 'replayed', () => s.dispatchIf(state, decision.event));
  }

  // While this process runs, an attempt is stored a moment before its session is registered: only attempts
  // older than `orphanMinAgeMs` are orphans then (at start-up every attempt of this WORKER_ID is one).
  const orphanBefore = listedAt - (o.orphanMinAgeMs ?? 0);
  const orphans: AttemptRow[] = (await listLiveAttempts(d.pool, d.workerId))
    .filter((a) => !d.dialer.sessions.has(a.id) && !d.dialer.agentSessions.has(a.id)
      && (a.startedAt.getTime() <= orphanBefore || d.dialer.handedToRecovery.has(a.id)));
  for (const a of orphans) {
    const ids = callIds(a.id);
    const state = a.state as CallState;
    const v = channels.get(ids.visitor) ?? null;
    const c = channels.get(a.calleeChannelId ?? ids.callee) ?? null;
    const decision = reconcileAttempt(state, v, c, { resumed: true });
    const legs = { visitorUp: v !== null, calleeUp: c !== null };
    const s = await d.dialer.resume(a, await storedCallee(d.pool, a.id), legs);
    d.dialer.handedToRecovery.delete(a.id);
    if (!s) continue;
    report.resumed++;
    // A rebuilt session had no socket to hear events on before now: nothing is in flight for it.
    apply(s, state, decision, legs, false);
  }
  if (report.checked || report.settled || report.detached) d.log.info({ ...report, channels: channels.size }, 'reconciled calls with Asterisk');
  return report;
}

/**
 * Runs `reconcile` now, after every `connection.restored`, and every `intervalMs` as a safety net (a call whose
 * end was never heard of for any other reason is settled within that time), retrying with back-off while
 * Asterisk does not answer (after a restart its REST API refuses for a while). `ready` resolves after the
 * first pass.
 */
export function startRecovery(d: RecoveryDeps, o: { retryMs?: number; maxRetryMs?: number; intervalMs?: number; strandedGraceMs?: number } = {}): { ready: Promise<void>; stop(): void; runOnce(): Promise<void> } {
  let stopped = false;
  let started = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  const retryMs = o.retryMs ?? 250;
  const maxRetryMs = o.maxRetryMs ?? 5000;

  let connected = true;
  let periodic = false;
  let afterGap = false;
  const runOnce = (): Promise<void> => {
    if (running) { again = true; return running; }
    running = (async () => {
      let wait = retryMs;
      for (;;) {
        if (stopped) return;
        try {
          again = false;
          // A periodic pass runs with the event socket up: its corrections wait a moment (see reconcile).
          // After a reconnect events were lost: a visitor asked for the key is asked again (see reconcileAttempt).
          await reconcile(d, { orphanMinAgeMs: started ? 10_000 : 0, graceMs: periodic ? 3000 : 0, afterGap, strandedGraceMs: o.strandedGraceMs });
          started = true;
          periodic = false;
          afterGap = false;
          if (!again) return;
        } catch (err) {
          d.log.warn({ err: (err as Error).message, retryInMs: wait }, 'reconciliation with Asterisk failed; retrying');
          await new Promise((r) => setTimeout(r, wait).unref());
          wait = Math.min(wait * 2, maxRetryMs);
        }
      }
    })().finally(() => { running = null; });
    return running;
  };

  d.port.onEvent((e) => {
    if (e.type === 'connection.lost') connected = false;
    if (e.type === 'connection.restored') { connected = true; afterGap = true; void runOnce(); }
  });
  if (o.intervalMs) {
    // Not while the event socket is down: a correction would start prompts whose key presses nobody hears;
    // the pass after the reconnect does that work.
    timer = setInterval(() => { if (connected && !running) { periodic = true; void runOnce(); } }, o.intervalMs);
    timer.unref();
  }
  return { ready: runOnce(), stop: () => { stopped = true; if (timer) clearInterval(timer); }, runOnce };
}
