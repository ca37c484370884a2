import type { Logger } from '../../platform/logger.ts';
import type { Pool } from '../../platform/db/pool.ts';
import { periodic } from '../../platform/periodic.ts';
import type { TelephonyPort } from '../../telephony/telephony-port.ts';
import { listLiveAttempts } from '../attempt.repository.ts';
import { listStrandedRequests } from '../../requests/callback.repository.ts';
import { AgentFirstSession } from '../session/agent-first-session.ts';
import { WebCallSession } from '../session/web-call-session.ts';
import { reconcileAgentFirst, reconcileAttempt, reconcileWebCall, storedMismatch, type Presence, type Reconcile } from '../flow/call-recovery.ts';
import type { CallState } from '../flow/call-state.ts';
import type { CallSession } from '../session/call-session.ts';
import type { Dialer } from '../dialer.ts';
import { adoptOrphans, applyDecision } from './orphan-adoption.ts';

/**
 * Reconciling calls with Asterisk after events were lost: on worker start (attempts a previous process of
 * this WORKER_ID left in flight), after the ARI WebSocket comes back (events during the gap are gone for
 * good), and now and then as a safety net. Asterisk's channel list is the truth; PostgreSQL and memory are
 * brought in line with it as the pure decisions of flow/call-recovery.ts say.
 */

export interface RecoveryDeps {
  pool: Pool;
  port: TelephonyPort;
  dialer: Pick<Dialer, 'sessions' | 'resume' | 'settleStranded'>;
  workerId: string;
  log: Logger;
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
 * One reconciliation pass. Live sessions of this process are checked first, then attempts of this
 * WORKER_ID that have no session here (left by a previous process). Throws when Asterisk cannot be asked;
 * the caller retries (see startRecovery).
 */
export async function reconcile(d: RecoveryDeps, o: { orphanMinAgeMs?: number; graceMs?: number; afterGap?: boolean; strandedGraceMs?: number } = {}): Promise<RecoveryReport> {
  const report: RecoveryReport = { checked: 0, kept: 0, replayed: 0, lost: 0, resumed: 0, detached: 0, settled: 0 };
  const { sessions } = d.dialer;
  // Requests whose attempts all ended but that were never moved on (any worker's: the move is conditional).
  // Needs PostgreSQL only, so it runs before Asterisk is asked.
  for (const r of await listStrandedRequests(d.pool, o.strandedGraceMs ?? STRANDED_GRACE_MS, 500)) {
    if (await d.dialer.settleStranded(r)) report.settled++;
  }
  // What PostgreSQL holds for this worker's calls, read before anything is compared with it.
  const storedAt = Date.now();
  const stored = new Map((await listLiveAttempts(d.pool, d.workerId)).map((a) => [a.id, a]));
  for (const s of sessions.list()) {
    const id = s.target.attemptId;
    // Ended but still registered with nothing under way: its end is stored, the rest of it (the request) is
    // settled as a stranded request; nothing will ever remove it otherwise.
    const mismatch = s.ended ? (s.idle ? 'ended' : null) : storedMismatch(s, stored.get(id), storedAt);
    if (!mismatch) continue;
    report.detached++;
    const kind = s instanceof AgentFirstSession ? 'agent_first' : s instanceof WebCallSession ? 'web_inbound' : 'customer_first';
    d.log.error({ attemptId: id, kind, state: s.state, stored: stored.get(id)?.state ?? null, mismatch }, 'call session out of step with PostgreSQL; handed to recovery');
    if (mismatch === 'ended') sessions.remove(id, s);
    else s.detach(`stored state ${stored.get(id)?.state ?? 'ended'}, session in ${s.state}`);
  }
  const listedAt = Date.now();
  const channels = new Map((await d.port.listChannels()).map((c) => [c.id, c.state]));
  // With the event socket up, what the channel list shows may already be on its way as an event: a live
  // session's correction then waits `graceMs`, and is dropped if the session has moved on meanwhile (dispatchIf).
  const later = (fn: () => void) => (o.graceMs ? void setTimeout(fn, o.graceMs).unref() : fn());

  /** Counts a decision and queues its correction (none for `kept`). */
  const settle = (kind: 'kept' | 'replayed' | 'lost', correct: () => Promise<void>) => {
    report.checked++;
    report[kind]++;
    if (kind !== 'kept') later(() => void correct());
  };
  const count = (decision: Reconcile) => (decision.action === 'keep' ? 'kept' : decision.action === 'event' ? 'replayed' : 'lost');

  for (const s of sessions.list()) {
    if (s.ended) continue;
    if (s instanceof AgentFirstSession) {
      const a = presence(channels, s.ids.callee, s.agentOriginatedAt !== null && s.agentOriginatedAt < listedAt);
      const v = presence(channels, s.ids.visitor, s.visitorOriginatedAt !== null && s.visitorOriginatedAt < listedAt);
      const decision = reconcileAgentFirst(s.state, a, v);
      const state = s.state;
      if (decision.action === 'keep') settle('kept', async () => {});
      else settle(decision.event.type.endsWith('.ended') ? 'lost' : 'replayed', () => s.dispatchIf(state, decision.event));
      continue;
    }
    if (s instanceof WebCallSession) {
      // The browser's channel was there before the session; the callee's may still be being placed.
      const b = presence(channels, s.ids.visitor, true);
      const c = presence(channels, s.ids.callee, s.calleeOriginatedAt !== null && s.calleeOriginatedAt < listedAt);
      const decision = reconcileWebCall(s.state, b, c);
      const state = s.state;
      if (decision.action === 'keep') settle('kept', async () => {});
      else settle(decision.event.type === 'callee.answered' ? 'replayed' : 'lost', () => s.dispatchIf(state, decision.event));
      continue;
    }
    const call: CallSession = s;
    const state = call.state;
    // A leg whose originate had not been confirmed before the list was taken may simply not exist yet.
    const v = presence(channels, call.ids.visitor, call.visitorOriginatedAt !== null && call.visitorOriginatedAt < listedAt);
    const c = presence(channels, call.ids.callee, call.calleeOriginatedAt !== null && call.calleeOriginatedAt < listedAt);
    const decision = reconcileAttempt(state, v, c, { resumed: false, afterGap: o.afterGap });
    const legs = { visitorUp: v !== null, calleeUp: c !== null && c !== 'unknown' };
    settle(count(decision), () => applyDecision(call, state, decision, legs));
  }

  // While this process runs, an attempt is stored a moment before its session is registered: only attempts
  // older than `orphanMinAgeMs` are orphans then (at start-up every attempt of this WORKER_ID is one).
  const orphanBefore = listedAt - (o.orphanMinAgeMs ?? 0);
  const orphans = (await listLiveAttempts(d.pool, d.workerId))
    .filter((a) => !sessions.has(a.id) && (a.startedAt.getTime() <= orphanBefore || sessions.wasHandedToRecovery(a.id)));
  const adopted = await adoptOrphans(d.dialer, orphans, channels, (state, v, c) => reconcileAttempt(state as CallState, v, c, { resumed: true }));
  for (const a of adopted) {
    if (!a.session) continue;
    report.resumed++;
    report.checked++;
    report[count(a.decision)]++;
  }
  if (report.checked || report.settled || report.detached) d.log.info({ ...report, channels: channels.size }, 'reconciled calls with Asterisk');
  return report;
}

/**
 * Runs `reconcile` now, after every `connection.restored`, whenever a session is handed to recovery, and every
 * `intervalMs` as a safety net (a call whose end was never heard of for any other reason is settled within that
 * time), retrying with back-off while Asterisk does not answer (after a restart its REST API refuses for a while).
 * A pass asked for while one runs runs once more after it. `ready` resolves after the first pass.
 */
export function startRecovery(d: RecoveryDeps, o: { retryMs?: number; maxRetryMs?: number; intervalMs?: number; strandedGraceMs?: number } = {}): { ready: Promise<void>; stop(): void; runOnce(): Promise<void> } {
  let stopped = false;
  let started = false;
  let running: Promise<void> | null = null;
  let again = false;
  const retryMs = o.retryMs ?? 250;
  const maxRetryMs = o.maxRetryMs ?? 5000;

  let connected = true;
  let periodicPass = false;
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
          await reconcile(d, { orphanMinAgeMs: started ? 10_000 : 0, graceMs: periodicPass ? 3000 : 0, afterGap, strandedGraceMs: o.strandedGraceMs });
          started = true;
          periodicPass = false;
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
  // A session whose state could not be stored is rebuilt from what is stored at once.
  d.dialer.sessions.onHandedToRecovery(() => void runOnce());
  // Not while the event socket is down: a correction would start prompts whose key presses nobody hears; the
  // pass after the reconnect does that work. Nor while a pass runs (it is the safety net, not a request).
  const loop = o.intervalMs
    ? periodic({
      name: 'call-recovery', intervalMs: o.intervalMs, log: d.log, idle: undefined,
      skip: () => !connected || running !== null,
      run: () => { periodicPass = true; return runOnce(); },
    })
    : null;
  return { ready: runOnce(), stop: () => { stopped = true; loop?.stop(); }, runOnce };
}
