import { PAGE_CSP } from '../web/middleware/security-headers.ts';

/**
 * The policy of a Beckon page that offers a web call (the hosted form, the demo page): the browser also opens
 * Asterisk's SIP WebSocket, another origin (ARI's host and port, or the TLS proxy's) that `'self'` does not
 * cover. Scripts stay `'self'` alone: the call chunk is served by Beckon.
 */
export function webcallPageCsp(wsUrl: string): string {
  const u = new URL(wsUrl);
  return `${PAGE_CSP}; connect-src 'self' ${u.protocol}//${u.host}`;
}
