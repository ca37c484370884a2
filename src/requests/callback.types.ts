import type { RequestStatus } from './request-lifecycle.ts';

// The statuses and their moves are the request lifecycle's (request-lifecycle.ts).
export { FINAL_STATUSES, OPEN_STATUSES, REQUEST_STATUSES, type RequestStatus } from './request-lifecycle.ts';

export type AttemptOutcome =
  | 'answered' | 'busy' | 'no_answer' | 'rejected' | 'failed' | 'callee_unanswered' | 'no_human' | 'abandoned' | 'canceled'
  /** A check right before a leg was dialed refused its destination (src/calls/flow/dial-check.ts). */
  | 'refused';

export interface CallbackRequest {
  id: string;
  /**
   * `callback`: Beckon rings the visitor's phone. `webcall`: the visitor called from the browser; such a request has
   * no phone (phoneE164 is null in the row) and is never put on the dial queue. Absent = callback.
   */
  kind?: 'callback' | 'webcall';
  subscriberId: string;
  departmentId: string | null;
  phoneE164: string;
  visitorName: string | null;
  message: string | null;
  pageUrl: string | null;
  referrer: string | null;
  ip: string | null;
  userAgent: string | null;
  source: 'api' | 'form' | 'widget';
  scheduledAt: Date | null;
  status: RequestStatus;
  statusReason: string | null;
  attemptCount: number;
  enqueuedAt: Date | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface AttemptView {
  n: number;
  /** the call's state machine state (src/calls/flow/call-state.ts, agent-first-state.ts) */
  state?: string;
  outcome: AttemptOutcome | null;
  cause: number | null;
  causeTxt: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
}
