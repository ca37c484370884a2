/**
 * The dialplan of context `from-web`, where the anonymous WebRTC endpoint lands (asterisk/conf/extensions.conf):
 *
 *   exten => callback,1,Stasis(<inbound app>,webcall,${PJSIP_HEADER(read,X-Beckon-Ticket)})
 *    same => n,Hangup()
 *
 * Nothing else is reachable from it: any other extension is 404 Not Found before a channel exists (webrtc-edge
 * trace). Pure.
 */

export const WEB_CONTEXT = 'from-web';
export const WEB_EXTEN = 'callback';
export const TICKET_HEADER = 'X-Beckon-Ticket';

export interface StasisEntry {
  context: string;
  exten: string;
  app: string;
  /** Stasis()'s data as expanded, e.g. `beckon-inbound,webcall,abc123` */
  appData: string;
  /** StasisStart's args: ["webcall", ticket], the ticket '' when the header is missing */
  args: string[];
}

/**
 * Where a call to `exten` goes: Stasis with the ticket from the INVITE's headers (lower-cased names), or null
 * when the extension does not exist.
 */
export function routeFromWeb(exten: string, headers: ReadonlyMap<string, string>, inboundApp: string): StasisEntry | null {
  if (exten !== WEB_EXTEN) return null;
  const ticket = headers.get(TICKET_HEADER.toLowerCase()) ?? '';
  return { context: WEB_CONTEXT, exten, app: inboundApp, appData: `${inboundApp},webcall,${ticket}`, args: ['webcall', ticket] };
}

/**
 * `PJSIP_HEADER(read,<name>)`: the header's name when `variable` reads one, else null. Reading a header the
 * INVITE did not carry fails in Asterisk with 500 "Unable to read provided function".
 */
export function pjsipHeaderName(variable: string): string | null {
  const m = /^PJSIP_HEADER\(\s*read\s*,\s*([^,)\s]+)\s*(?:,\s*\d+\s*)?\)$/i.exec(variable);
  return m ? m[1]! : null;
}
