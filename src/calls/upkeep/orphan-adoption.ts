import type { AttemptRow } from '../attempt.repository.ts';
import { callIds } from '../session/call-ids.ts';
import type { CallSession } from '../session/call-session.ts';
import type { CallState } from '../flow/call-state.ts';
import type { Presence, Reconcile } from '../flow/call-recovery.ts';
import type { SessionRegistry } from '../session-registry.ts';

/** What adopting orphans needs of the dialer: rebuilding an attempt, and the registry of live sessions. */
export interface OrphanHome {
  sessions: Pick<SessionRegistry, 'recovered'>;
  resume(a: AttemptRow, legs: { visitorUp: boolean; calleeUp: boolean }): Promise<CallSession | null>;
}

export interface Adoption {
  attempt: AttemptRow;
  /** The rebuilt session; null when there is none to correct (agent-first: ended by resume; or already live). */
  session: CallSession | null;
  decision: Reconcile;
  /** The correction the decision asks for, under way (resolved at once when there is none). */
  corrected: Promise<void>;
}

/**
 * Adopts attempts in flight that have no session here (recovery: left by a previous process of this worker or
 * handed to recovery; takeover: moved here from a worker that is gone): each is rebuilt from its stored state with
 * the legs Asterisk still has (`channels`, the channel list, by id), and `decide` says what is to become of it
 * given the presence of its legs. A session rebuilt here had no socket to hear events on before now: nothing is
 * in flight for it, so its correction starts at once. Corrections are queued on each session (dispatchIf: only
 * if it is still in its stored state when its turn comes).
 */
export async function adoptOrphans(
  home: OrphanHome, attempts: readonly AttemptRow[], channels: ReadonlyMap<string, string>,
  decide: (state: CallState, visitor: Presence, callee: Presence) => Reconcile,
): Promise<Adoption[]> {
  const adopted: Adoption[] = [];
  for (const a of attempts) {
    const ids = callIds(a.id);
    const state = a.state as CallState;
    const v = channels.get(ids.visitor) ?? null;
    const c = channels.get(a.calleeChannelId ?? ids.callee) ?? null;
    const decision = decide(state, v, c);
    const legs = { visitorUp: v !== null, calleeUp: c !== null };
    const session = await home.resume(a, legs);
    home.sessions.recovered(a.id);
    adopted.push({ attempt: a, session, decision, corrected: session ? applyDecision(session, state, decision, legs) : Promise.resolve() });
  }
  return adopted;
}

/** Queues what a reconciliation decision asks of a customer-first session that was in `state`: nothing, a missed event, or its end as lost. */
export function applyDecision(session: CallSession, state: CallState, decision: Reconcile, legs: { visitorUp: boolean; calleeUp: boolean }): Promise<void> {
  if (decision.action === 'event') return session.dispatchIf(state, decision.event);
  if (decision.action === 'lost') return session.dispatchIf(state, { type: 'lost', reason: decision.reason, ...legs });
  return Promise.resolve();
}
