/**
 * SIP messages as they travel over a WebSocket (RFC 7118: one message per frame, no framing of our own). Parsing
 * and writing only what the simulator needs: start line, headers (compact forms expanded, repeated headers kept in
 * order), body by Content-Length. Pure.
 */

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: string;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: string;
}

export type SipMessage = SipRequest | SipResponse;

/** Header name → values, in order; names kept as first written, looked up case-insensitively. */
export type SipHeaders = Array<[name: string, value: string]>;

const COMPACT: Record<string, string> = {
  v: 'Via', f: 'From', t: 'To', i: 'Call-ID', m: 'Contact', l: 'Content-Length', c: 'Content-Type', k: 'Supported', s: 'Subject', e: 'Content-Encoding',
};

export class SipParseError extends Error {}

export function parseSip(text: string): SipMessage {
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const rest = split < 0 ? '' : text.slice(split + 4);
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const headers: SipHeaders = [];
  for (const line of lines) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && headers.length) {
      // A folded line continues the header before it.
      headers[headers.length - 1]![1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`bad header line: ${line}`);
    const raw = line.slice(0, colon).trim();
    const name = COMPACT[raw.toLowerCase()] ?? raw;
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  const length = Number(headerOf(headers, 'Content-Length') ?? rest.length);
  const body = Number.isFinite(length) ? Buffer.from(rest, 'utf8').subarray(0, length).toString('utf8') : rest;
  const res = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(start);
  if (res) return { kind: 'response', status: Number(res[1]), reason: res[2] ?? '', headers, body };
  const req = /^([A-Z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(start);
  if (!req) throw new SipParseError(`bad start line: ${start}`);
  return { kind: 'request', method: req[1]!, uri: req[2]!, headers, body };
}

/** The message as text; Content-Length is written from the body (any given one is replaced). */
export function formatSip(msg: SipMessage): string {
  const start = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const lines = [start];
  for (const [name, value] of msg.headers) if (name.toLowerCase() !== 'content-length') lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(msg.body, 'utf8')}`);
  return `${lines.join('\r\n')}\r\n\r\n${msg.body}`;
}

export function headerOf(headers: SipHeaders, name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function headersOf(headers: SipHeaders, name: string): string[] {
  const n = name.toLowerCase();
  return headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

/** `tag` of a From/To value, or '' when it has none. */
export function tagOf(value: string | undefined): string {
  return /;\s*tag=([^;>\s]+)/i.exec(value ?? '')?.[1] ?? '';
}

/** `"Web Visitor" <sip:visitor@localhost>;tag=x` → display name and URI. */
export function parseNameAddr(value: string | undefined): { name: string; uri: string } {
  const v = value ?? '';
  const m = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>/.exec(v);
  if (m) return { name: (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1').trim(), uri: m[3]! };
  return { name: '', uri: v.split(';')[0]!.trim() };
}

/** The user part of a SIP URI: `sip:callback@127.0.0.1` → callback. */
export function uriUser(uri: string): string {
  const m = /^sips?:([^@;>]+)@/i.exec(uri.trim());
  return m ? decodeURIComponent(m[1]!) : '';
}

/** CSeq `9354 INVITE` → number and method. */
export function parseCSeq(value: string | undefined): { seq: number; method: string } {
  const m = /^\s*(\d+)\s+([A-Z]+)/i.exec(value ?? '');
  return m ? { seq: Number(m[1]), method: m[2]!.toUpperCase() } : { seq: 0, method: '' };
}

/**
 * A response to `req`: Via, From, To, Call-ID and CSeq copied (To gets `toTag` when it has none), the top Via
 * marked with where the request came from, then `extra` headers.
 */
export function responseTo(req: SipRequest, status: number, reason: string, opts: { toTag?: string; headers?: SipHeaders; body?: string } = {}): SipResponse {
  const headers: SipHeaders = [];
  let first = true;
  for (const via of headersOf(req.headers, 'Via')) {
    headers.push(['Via', first ? markReceived(via) : via]);
    first = false;
  }
  const to = headerOf(req.headers, 'To') ?? '';
  headers.push(['Call-ID', headerOf(req.headers, 'Call-ID') ?? '']);
  headers.push(['From', headerOf(req.headers, 'From') ?? '']);
  headers.push(['To', opts.toTag && !tagOf(to) ? `${to};tag=${opts.toTag}` : to]);
  headers.push(['CSeq', headerOf(req.headers, 'CSeq') ?? '']);
  headers.push(...(opts.headers ?? []));
  return { kind: 'response', status, reason, headers, body: opts.body ?? '' };
}

/** The top Via with `received` and an `rport` value, as Asterisk answers WebSocket clients. */
function markReceived(via: string): string {
  let v = via.replace(/;\s*rport(?=;|$)/i, '');
  if (!/;\s*received=/i.test(v)) v = v.replace(/(SIP\/2\.0\/\S+\s+[^;]+)/i, '$1;rport;received=127.0.0.1');
  return v;
}

/** Authorization: Digest k="v", k2=v2 → its parameters. */
export function parseDigest(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const v = (value ?? '').replace(/^\s*Digest\s+/i, '');
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/g;
  for (let m = re.exec(v); m; m = re.exec(v)) out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  return out;
}
