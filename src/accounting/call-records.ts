import { rateLeg, rateWebLeg, type Rate, type Rating } from './rating.ts';

/** What the stored attempt says about one call (read from call_attempts + attempt_transitions). */
export interface EndedAttempt {
  id: string;
  requestId: string;
  subscriberId: string;
  departmentId: string | null;
  visitorNumber: string;
  subscriberNumber: string | null;
  /** A web call (flow web_inbound): the visitor's leg is the browser's, which called in; it has no number. */
  web?: boolean;
  outcome: string | null;
  cause: number | null;
  causeTxt: string | null;
  calleeKind: string | null;
  calleeEndpoint: string | null;
  visitorChannelId: string;
  calleeChannelId: string | null;
  /** when the visitor leg was originated; null if it never was (an agent-first offer nobody took) */
  startedAt: Date | null;
  answeredAt: Date | null;
  /** when the callee leg was originated (the transition into callee_ringing); null if it never was */
  calleeStartedAt: Date | null;
  calleeAnsweredAt: Date | null;
  endedAt: Date;
}

export interface CallRecord extends Rating {
  attemptId: string;
  requestId: string;
  subscriberId: string;
  departmentId: string | null;
  leg: 'visitor' | 'callee';
  channelId: string;
  calleeKind: string | null;
  agent: string | null;
  fromNumber: string | null;
  toNumber: string | null;
  toEndpoint: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date;
  durationSec: number;
  billableSec: number;
  disposition: 'ANSWERED' | 'BUSY' | 'NO ANSWER' | 'FAILED' | 'CONGESTION';
  hangupCause: number | null;
  hangupCauseTxt: string | null;
}

/** Whole seconds, any started second counting (carrier style); never negative. */
function wholeSecondsUp(from: Date, to: Date): number {
  return Math.max(0, Math.ceil((to.getTime() - from.getTime()) / 1000));
}

/** CDR disposition of a leg that was never answered, from its Q.850 cause. */
export function dispositionForCause(cause: number | null): CallRecord['disposition'] {
  switch (cause) {
    case 17: return 'BUSY';
    case 18: case 19: case 16: return 'NO ANSWER';
    case 34: case 38: case 42: return 'CONGESTION';
    default: return 'FAILED';
  }
}

/** The number behind a trunk dial string ('PJSIP/{number}@carrier' -> '+1202...'); null for anything else (agents). */
export function numberFromEndpoint(template: string, endpoint: string | null): string | null {
  if (!endpoint) return null;
  const [before, after] = template.split('{number}') as [string, string];
  if (!endpoint.startsWith(before) || !endpoint.endsWith(after)) return null;
  const number = endpoint.slice(before.length, endpoint.length - after.length);
  // Trunks are dialed with bare digits; records keep E.164 like every other number we store.
  return /^\+?[0-9]{3,15}$/.test(number) ? `+${number.replace(/^\+/, '')}` : null;
}

export function agentName(kind: string | null, endpoint: string | null): string | null {
  if (kind !== 'agent' || !endpoint) return null;
  return endpoint.replace(/^[A-Za-z]+\//, '');
}

/**
 * One record per leg that existed (pure). The visitor leg always exists; the callee leg only if it was
 * originated. Times come from the stored transitions, so a record can be rebuilt at any time.
 */
export function buildCallRecords(a: EndedAttempt, trunkTemplate: string, rates: readonly Rate[], planId: string | null): CallRecord[] {
  const common = { attemptId: a.id, requestId: a.requestId, subscriberId: a.subscriberId, departmentId: a.departmentId };
  const records: CallRecord[] = [];
  if (a.startedAt) records.push(visitorLeg(a, a.startedAt, common, rates, planId));
  if (a.calleeStartedAt && a.calleeChannelId) records.push(calleeLeg(a, a.calleeStartedAt, a.calleeChannelId, common, trunkTemplate, rates, planId));
  return records;
}

type Common = Pick<CallRecord, 'attemptId' | 'requestId' | 'subscriberId' | 'departmentId'>;

function visitorLeg(a: EndedAttempt, startedAt: Date, common: Common, rates: readonly Rate[], planId: string | null): CallRecord {
  const answered = a.answeredAt !== null;
  const billable = answered ? wholeSecondsUp(a.answeredAt!, a.endedAt) : 0;
  // An answered visitor leg is cleared by us when the callee does not answer; otherwise the attempt's cause is its own.
  const cause = !answered ? a.cause : (a.outcome === 'callee_unanswered' ? 16 : a.cause ?? 16);
  return {
    ...common,
    leg: 'visitor',
    channelId: a.visitorChannelId,
    calleeKind: null,
    agent: null,
    fromNumber: a.web ? null : a.subscriberNumber,
    toNumber: a.web ? null : a.visitorNumber,
    toEndpoint: null,
    startedAt,
    answeredAt: a.answeredAt,
    endedAt: a.endedAt,
    durationSec: wholeSecondsUp(startedAt, a.endedAt),
    billableSec: billable,
    disposition: answered ? 'ANSWERED' : dispositionForCause(a.cause),
    hangupCause: cause,
    hangupCauseTxt: cause === a.cause ? a.causeTxt : 'Normal Clearing',
    ...(a.web ? rateWebLeg(billable, rates, planId) : rateLeg(billable, a.visitorNumber, rates, planId)),
  };
}

function calleeLeg(a: EndedAttempt, startedAt: Date, channelId: string, common: Common, trunkTemplate: string, rates: readonly Rate[], planId: string | null): CallRecord {
  const answered = a.calleeAnsweredAt !== null;
  const toNumber = numberFromEndpoint(trunkTemplate, a.calleeEndpoint);
  const billable = answered ? wholeSecondsUp(a.calleeAnsweredAt!, a.endedAt) : 0;
  // The callee's own cause is the attempt's when it ended the call unanswered; otherwise we cleared it.
  const cause = a.outcome === 'callee_unanswered' || answered ? (a.cause ?? 16) : 16;
  return {
    ...common,
    leg: 'callee',
    channelId,
    calleeKind: a.calleeKind,
    agent: agentName(a.calleeKind, a.calleeEndpoint),
    fromNumber: a.visitorNumber,
    toNumber,
    toEndpoint: a.calleeEndpoint,
    startedAt,
    answeredAt: a.calleeAnsweredAt,
    endedAt: a.endedAt,
    durationSec: wholeSecondsUp(startedAt, a.endedAt),
    billableSec: billable,
    disposition: answered ? 'ANSWERED' : dispositionForCause(cause),
    hangupCause: cause,
    hangupCauseTxt: cause === a.cause ? a.causeTxt : 'Normal Clearing',
    ...rateLeg(billable, toNumber, rates, planId),
  };
}
