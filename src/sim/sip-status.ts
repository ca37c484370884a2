/** SIP reason phrases for the statuses the simulator sends, as Asterisk's PJSIP words them. */
const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  410: 'Gone',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  484: 'Address Incomplete',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  603: 'Decline',
};

export function sipReason(status: number): string {
  return REASONS[status] ?? 'Unknown';
}

/**
 * The final response chan_pjsip sends an unanswered caller the app hangs up, by Q.850 cause (hangup_cause2sip;
 * webrtc-ari-hangup trace: normal 603, busy 486, congestion 503, no_answer 480). Causes it does not map
 * (normal clearing among them) answer 603 Decline.
 */
const CAUSE_TO_SIP: Record<number, number> = {
  1: 404,
  3: 404,
  17: 486,
  18: 408,
  19: 480,
  20: 480,
  21: 403,
  22: 410,
  27: 502,
  28: 484,
  29: 501,
  31: 480,
  34: 503,
  38: 500,
  42: 503,
  58: 488,
  65: 488,
  66: 488,
  127: 500,
};

export function sipStatusForCause(cause: number): number {
  return CAUSE_TO_SIP[cause] ?? 603;
}

/**
 * The Q.850 cause Asterisk gives a dialed channel the far end refuses with `status` (webrtc-agent trace: 486 → 17
 * "User busy", 603 → 21 "Call Rejected", 480 → 19 "User alerting, no answer", as JsSIP's default reject).
 */
export function causeForSipStatus(status: number): number {
  switch (status) {
    case 404: return 1;
    case 408: return 18;
    case 480: return 19;
    case 486: case 600: return 17;
    case 603: return 21;
    case 503: return 34;
    case 484: return 28;
    case 488: case 606: return 58;
    default: return status >= 500 ? 38 : 21;
  }
}
