import type { Channel } from './model.ts';

/** One AMI message as ordered `Key: Value` pairs (keys keep the case Asterisk uses for them). */
export type AmiFields = Array<readonly [string, string | number]>;

export function formatAmi(fields: AmiFields): string {
  let out = '';
  for (const [k, v] of fields) out += `${k}: ${v}\r\n`;
  return out + '\r\n';
}

/** Splits the incoming byte stream into actions; a message may span reads and a read may hold many. */
export class AmiReader {
  private buffer = '';

  feed(chunk: string): Array<Map<string, string>> {
    this.buffer += chunk;
    const out: Array<Map<string, string>> = [];
    for (;;) {
      const m = /\r?\n\r?\n/.exec(this.buffer);
      if (!m) break;
      const block = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const msg = new Map<string, string>();
      for (const line of block.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        // Repeated keys (Variable: a=1, Variable: b=2) are joined so nothing is lost.
        msg.set(key, msg.has(key) ? `${msg.get(key)}\n${value}` : value);
      }
      if (msg.size > 0) out.push(msg);
    }
    // A client that never sends a blank line must not make us buffer without end.
    if (this.buffer.length > 65536) this.buffer = '';
    return out;
  }
}

const STATE_CODES: Record<string, number> = { Down: 0, Ring: 4, Ringing: 5, Up: 6 };

const orUnknown = (s: string) => (s === '' ? '<unknown>' : s);

/** The block of channel fields most call events carry; `prefix` is 'Dest' for Dial events. */
export function amiChannelFields(ch: Channel, prefix = '', fresh = false): AmiFields {
  return [
    [`${prefix}Channel`, ch.name],
    [`${prefix}ChannelState`, STATE_CODES[ch.state] ?? 0],
    [`${prefix}ChannelStateDesc`, ch.state],
    [`${prefix}CallerIDNum`, fresh ? '<unknown>' : orUnknown(ch.caller.number)],
    [`${prefix}CallerIDName`, fresh ? '<unknown>' : orUnknown(ch.caller.name)],
    [`${prefix}ConnectedLineNum`, fresh ? '<unknown>' : orUnknown(ch.connected.number)],
    [`${prefix}ConnectedLineName`, fresh ? '<unknown>' : orUnknown(ch.connected.name)],
    [`${prefix}Language`, 'en'],
    [`${prefix}AccountCode`, fresh ? '' : ch.accountcode],
    [`${prefix}Context`, ch.inbound?.context ?? 'from-sip'],
    [`${prefix}Exten`, ch.inbound?.exten ?? 's'],
    [`${prefix}Priority`, 1],
    [`${prefix}Uniqueid`, ch.id],
    [`${prefix}Linkedid`, ch.linkedid],
  ];
}
