import { randomBytes } from 'node:crypto';
import type { WebCallRequest } from './control-routes.ts';
import type { Exchange } from './exchange.ts';
import type { CallerLeg } from './model.ts';
import { sipReason, sipStatusForCause } from './sip-status.ts';
import { TICKET_HEADER, WEB_EXTEN } from './web-dialplan.ts';

/**
 * A web call placed through the control API (tests and the demo without a browser): the INVITE a browser would
 * send, and a caller side that only records what the browser would have been sent (GET /sim/calls, `sip`).
 */
export function placeWebCall(exchange: Exchange, req: WebCallRequest): { channelId: string | null; status: number | null } {
  let channelId: string | null = null;
  const sent: string[] = [];
  const say = (what: string) => {
    if (channelId) exchange.phoneLog.signalled(channelId, what);
    else sent.push(what);
  };
  const caller: CallerLeg = {
    ringing: () => say('180 Ringing'),
    earlyMedia: () => say('183 Session Progress'),
    answered: () => say('200 OK'),
    hungUp: (cause, answered) => {
      if (answered) say(`BYE Q.850;cause=${cause}`);
      else {
        const status = sipStatusForCause(cause);
        say(`${status} ${sipReason(status)}`);
      }
    },
  };
  const headers = new Map<string, string>();
  if (req.ticket !== undefined) headers.set(TICKET_HEADER.toLowerCase(), req.ticket);
  const arrival = exchange.inbound.arrive({
    exten: req.exten ?? WEB_EXTEN,
    callerName: req.callerName ?? 'Web Visitor',
    callerNumber: 'visitor',
    callId: randomBytes(10).toString('base64url'),
    headers,
    caller,
  });
  if ('refused' in arrival) return { channelId: null, status: arrival.refused };
  channelId = arrival.channelId;
  for (const what of sent) exchange.phoneLog.signalled(channelId, what);
  return { channelId, status: null };
}
