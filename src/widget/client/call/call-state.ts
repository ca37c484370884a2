/**
 * What the visitor's web-call panel shows, decided from what happened so far. Pure: the panel (call-panel.ts)
 * feeds it the server's answer to POST /api/v1/webcalls, the microphone's answer, JsSIP's session events and the
 * request's status events, and draws what comes out.
 */

/**
 * requesting: asking Beckon for a ticket; microphone: waiting for the browser's permission; connecting: SIP
 * INVITE sent, nothing heard back but 100 Trying; ringing: Asterisk rang us (180/183) or answered while the
 * business's phone rings (music on hold); connected: both sides talk (the timer runs); ended: over, with a reason.
 */
export type CallPhase = 'requesting' | 'microphone' | 'connecting' | 'ringing' | 'connected' | 'ended';

/** Why a call ended, each with its own words for the visitor (call-i18n.ts `end_<reason>`). */
export type EndReason =
  | 'local' // the visitor hung up
  | 'remote' // the business hung up after talking
  | 'busy' // the business's line was busy
  | 'noanswer' // nobody answered
  | 'callee' // the business could not take the call (its leg failed otherwise)
  | 'closed' // the business is closed now (POST answered so)
  | 'limited' // too many calls from this browser or address
  | 'unavailable' // web calls are not offered for this site now
  | 'refused' // Beckon or Asterisk refused the call (a ticket not accepted, any other 4xx)
  | 'microphone' // the visitor (or the browser's policy) refused the microphone
  | 'nomic' // no microphone in this device
  | 'network' // Beckon or the call server could not be reached
  | 'failed'; // anything else (WebRTC error, bad media)

export interface CallState {
  phase: CallPhase;
  /** Asterisk answered the browser's INVITE (200 OK, JsSIP `confirmed`). */
  answered: boolean;
  /** The request's status stream said `connected`: the business's side is bridged to the visitor. */
  bridged: boolean;
  /** Whether the request's status stream is followed; without it, an answer from Asterisk counts as connected. */
  following: boolean;
  /** ms epoch when both sides started talking; the timer counts from it. */
  connectedAt: number | null;
  muted: boolean;
  reason: EndReason | null;
  /** The request's last reported final status and its last attempt's outcome (busy, no_answer, …), if any. */
  outcome: string | null;
  /**
   * The business's side sent a BYE before the bridge and the request's outcome has not arrived yet: the worker hangs
   * the browser up before it settles the request, so the reason follows within moments (or `settle` gives up).
   */
  awaitingOutcome: boolean;
}

/** The request's status event as the status stream sends it (progress.ts StatusEvent, the fields used here). */
export interface CallStatus { status: string; stage?: string | null; attempts?: { outcome: string | null }[] }

export type CallEvent =
  | { type: 'refused'; status: number; code?: string } // POST /api/v1/webcalls answered 4xx/5xx
  | { type: 'network' } // POST or the call chunk failed to load, or the SIP WebSocket never opened
  | { type: 'ticket'; following: boolean } // POST answered 201; microphone asked next
  | { type: 'microphone' } // microphone granted; the INVITE goes out
  | { type: 'micError'; name: string } // getUserMedia rejected (DOMException name)
  | { type: 'progress' } // 180 Ringing or 183 Session Progress
  | { type: 'answered'; at: number } // 200 OK from Asterisk (JsSIP `confirmed`)
  | { type: 'status'; at: number; status: CallStatus } // the request's status stream
  | { type: 'unfollowed'; at: number } // the status stream closed for good: Asterisk's answer must do
  | { type: 'ended'; originator: 'local' | 'remote' | 'system'; cause: string } // JsSIP `ended` or `failed`
  | { type: 'hangup' } // the visitor pressed hang up
  | { type: 'settle' } // no outcome came after the BYE: end with what is known
  | { type: 'mute'; muted: boolean };

export const INITIAL: CallState = {
  phase: 'requesting', answered: false, bridged: false, following: false, connectedAt: null, muted: false, reason: null, outcome: null,
  awaitingOutcome: false,
};

const FINAL_STATUSES = new Set(['completed', 'failed', 'expired', 'canceled']);

/** JsSIP's cause names (JsSIP.C.causes) and SIP answers they stand for, as Asterisk sends them to the browser. */
const CAUSES: Record<string, EndReason> = {
  Busy: 'busy', // 486/600: ARI hangup reason busy
  Unavailable: 'noanswer', // 480: reason no_answer
  'No Answer': 'noanswer',
  Rejected: 'refused', // 603: reason normal (a ticket not redeemed), or the dialplan's Hangup()
  'Not Found': 'refused',
  Redirected: 'refused',
  'Address Incomplete': 'refused',
  'Authentication Error': 'refused',
  'SIP Failure Code': 'callee', // 503: reason congestion
  'Connection Error': 'network',
  'Request Timeout': 'network',
  'User Denied Media Access': 'microphone',
};

/** Why the business's side failed, from the request's last attempt outcome (progress.ts reads them the same way). */
function outcomeReason(outcome: string | null): EndReason | null {
  if (outcome === 'busy') return 'busy';
  if (outcome === 'no_answer' || outcome === 'no_human' || outcome === 'callee_unanswered') return 'noanswer';
  if (outcome === 'failed' || outcome === 'callee_failed') return 'callee';
  return null;
}

function endReason(s: CallState, originator: 'local' | 'remote' | 'system', cause: string): EndReason {
  if (cause === 'User Denied Media Access') return 'microphone';
  if (originator === 'local') return 'local';
  // Answered calls end with a BYE whatever the business's side did: the request's outcome tells why.
  if (cause === 'Terminated') return s.phase === 'connected' ? 'remote' : outcomeReason(s.outcome) ?? 'callee';
  return CAUSES[cause] ?? (s.phase === 'connected' ? 'remote' : 'failed');
}

function refusalReason(status: number, code?: string): EndReason {
  if (status === 409 || code === 'closed' || code === 'subscriber_closed') return 'closed';
  if (status === 429) return 'limited';
  if (status === 404 || code === 'webcalls_disabled') return 'unavailable';
  if (status >= 500) return 'network';
  return 'refused';
}

const ended = (s: CallState, reason: EndReason): CallState => ({ ...s, phase: 'ended', reason, muted: false, awaitingOutcome: false });

/** The next state. Nothing moves an ended call; the first reason to end it is the one shown. */
export function callStep(s: CallState, e: CallEvent): CallState {
  if (s.phase === 'ended') return s;
  switch (e.type) {
    case 'refused': return ended(s, refusalReason(e.status, e.code));
    case 'network': return ended(s, 'network');
    case 'ticket': return s.phase === 'requesting' ? { ...s, phase: 'microphone', following: e.following } : s;
    case 'microphone': return s.phase === 'microphone' ? { ...s, phase: 'connecting' } : s;
    case 'micError': return ended(s, e.name === 'NotFoundError' || e.name === 'OverconstrainedError' ? 'nomic' : 'microphone');
    case 'progress': return s.phase === 'connecting' ? { ...s, phase: 'ringing' } : s;
    case 'answered': {
      const next = { ...s, answered: true };
      // Talking starts at the bridge: an answer the status stream has not yet reported as bridged still rings.
      return next.bridged || !next.following ? { ...next, phase: 'connected', connectedAt: e.at } : { ...next, phase: 'ringing' };
    }
    case 'status': {
      const attempts = e.status.attempts ?? [];
      const outcome = attempts[attempts.length - 1]?.outcome ?? null;
      const next = { ...s, outcome: FINAL_STATUSES.has(e.status.status) ? outcome ?? e.status.status : s.outcome };
      if (s.awaitingOutcome && next.outcome !== null) return ended(next, outcomeReason(next.outcome) ?? 'callee');
      const bridged = e.status.status === 'connected' || e.status.stage === 'connected';
      if (!bridged || s.bridged) return next;
      return s.answered ? { ...next, bridged, phase: 'connected', connectedAt: s.connectedAt ?? e.at } : { ...next, bridged };
    }
    case 'unfollowed':
      return s.answered && !s.bridged ? { ...s, following: false, phase: 'connected', connectedAt: e.at } : { ...s, following: false };
    case 'ended':
      if (e.originator === 'remote' && e.cause === 'Terminated' && s.phase !== 'connected' && s.following && s.outcome === null) {
        return { ...s, awaitingOutcome: true };
      }
      return ended(s, endReason(s, e.originator, e.cause));
    case 'settle': return s.awaitingOutcome ? ended(s, outcomeReason(s.outcome) ?? 'callee') : s;
    case 'hangup': return ended(s, s.awaitingOutcome ? outcomeReason(s.outcome) ?? 'callee' : 'local');
    case 'mute': return s.phase === 'ringing' || s.phase === 'connected' || s.phase === 'connecting' ? { ...s, muted: e.muted } : s;
  }
}

/** Elapsed talk time as a clock: 0:07, 12:34, 1:02:03. */
export function timerText(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** The words for the status line (call-i18n.ts keys): one per phase, one per end reason. */
export function statusKey(s: CallState): `phase_${Exclude<CallPhase, 'ended'>}` | `end_${EndReason}` {
  return s.phase === 'ended' ? `end_${s.reason ?? 'failed'}` : `phase_${s.phase}`;
}

/** Which controls the panel offers now: hang up until it ends, mute once a call is being set up, back once over. */
export function controls(s: CallState): { hangup: boolean; mute: boolean; back: boolean } {
  const live = s.phase !== 'ended';
  const talking = !s.awaitingOutcome && (s.phase === 'connecting' || s.phase === 'ringing' || s.phase === 'connected');
  return { hangup: live, mute: talking, back: !live };
}
