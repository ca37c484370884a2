import type { PhoneCall } from '../sim/phone-log.ts';
import { ConflictError, UnavailableError } from '../platform/errors.ts';

export type PhoneCommand = 'answer' | 'dtmf' | 'hangup';

/** The simulator's phones through its control API (/sim/calls, /sim/channels/:id/answer|dtmf|hangup). */
export interface SimPhones {
  calls(): Promise<PhoneCall[]>;
  command(channelId: string, command: PhoneCommand, digit?: string): Promise<void>;
}

/** 503 simulator_unavailable: the demo's exchange is down or answered with an error. */
const simulatorDown = (hint = '') => new UnavailableError(`The simulated phone exchange does not answer.${hint}`, 'simulator_unavailable');

export function simPhones(baseUrl: string, timeoutMs = 3000): SimPhones {
  const base = baseUrl.replace(/\/$/, '');
  const call = async (method: string, path: string, body?: unknown) => {
    try {
      return await fetch(`${base}/sim${path}`, {
        method,
        signal: AbortSignal.timeout(timeoutMs),
        ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw simulatorDown(' Is the demo still running?');
    }
  };
  return {
    async calls() {
      const res = await call('GET', '/calls');
      if (!res.ok) throw simulatorDown();
      return (await res.json()) as PhoneCall[];
    },
    async command(channelId, command, digit) {
      const res = await call('POST', `/channels/${encodeURIComponent(channelId)}/${command}`, command === 'dtmf' ? { digit } : {});
      if (res.ok) return;
      if (res.status === 404) throw new ConflictError('call_ended', 'That call has already ended.');
      if (res.status === 409 || res.status === 400) {
        const text = ((await res.json().catch(() => null)) as { error?: string } | null)?.error;
        throw new ConflictError('phone_busy', text ? `The phone cannot do that now: ${text.toLowerCase()}.` : 'The phone cannot do that now.');
      }
      throw simulatorDown();
    },
  };
}

export interface PhoneCallView {
  id: string;
  who: string;
  callerId: string;
  state: PhoneCall['state'];
  stateText: string;
  ringing: boolean;
  up: boolean;
  ago: string;
  /** the digits read out on this call, in order (a verification code is read twice) */
  digits: string[];
  heard: Array<{ text: string; digits: boolean; failed: boolean }>;
  keys: string;
  ended: string | null;
}

function agoText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  return `${Math.floor(m / 60)} h ago`;
}

const STATE_TEXT: Record<PhoneCall['state'], string> = { dialing: 'dialing', ringing: 'ringing', up: 'on the line', ended: 'ended' };

/** What the phone page shows of one call. Pure. */
export function phoneCallView(c: PhoneCall, now: number): PhoneCallView {
  const heard = c.heard.map((h) => ({
    text: h.kind === 'digits' || h.kind === 'number' ? h.text : h.kind === 'moh' ? 'music on hold' : h.kind === 'characters' ? `letters ${h.text}` : h.text.startsWith('silence/') ? '(silence)' : `(${h.text.split('/').pop()})`,
    digits: h.kind === 'digits' || h.kind === 'number',
    failed: !h.played,
  }));
  return {
    id: c.channelId,
    who: c.number ? `+${c.number}` : c.device ? `agent phone ${c.device}` : c.endpoint,
    callerId: c.callerId,
    state: c.state,
    stateText: STATE_TEXT[c.state],
    ringing: c.state === 'ringing',
    up: c.state === 'up',
    ago: agoText(now - c.startedAt),
    digits: c.heard.filter((h) => h.played && (h.kind === 'digits' || h.kind === 'number')).map((h) => h.text),
    heard,
    keys: c.keys,
    ended: c.state === 'ended' ? (c.answeredAt === null ? `not answered (${c.causeText ?? 'no cause'})` : `hung up after ${Math.round(((c.endedAt ?? now) - c.answeredAt) / 1000)} s`) : null,
  };
}
