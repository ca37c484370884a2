import { causeText } from './causes.ts';
import { splitMedia } from './media.ts';

/** One thing a simulated phone heard: a media of a playback (on its channel or its bridge), or music on hold. */
export interface Heard {
  /** epoch ms when it started */
  at: number;
  /** the ARI media URI, e.g. digits:123456, sound:beep; `moh:<class>` for music on hold */
  media: string;
  /** what a person would make of it: the digits or number read out, the sound's name, "music on hold" */
  text: string;
  kind: 'digits' | 'number' | 'characters' | 'sound' | 'tone' | 'recording' | 'moh';
  /** false when the media could not be played (a sound Asterisk lacks): the phone heard nothing of it */
  played: boolean;
}

/** A call as the phone at the far end saw it: rang, answered, heard, keys pressed, ended. */
export interface PhoneCall {
  channelId: string;
  endpoint: string;
  /** trunk calls: the dialed number without '+'; device calls: null */
  number: string | null;
  /** device calls (PJSIP/<name>): the name; trunk calls: null */
  device: string | null;
  callerId: string;
  state: 'dialing' | 'ringing' | 'up' | 'ended';
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  cause: number | null;
  causeText: string | null;
  heard: Heard[];
  /** keys the phone pressed, in order */
  keys: string;
  /** whether the phone answers by itself (its number's rule) or waits for someone to answer it */
  autoAnswer: boolean;
  /** web calls (the browser calls in): the ticket its INVITE carried ('' without the header) */
  ticket?: string;
  /** web calls: what the browser was sent, in order, e.g. `180 Ringing`, `200 OK`, `BYE Q.850;cause=16` */
  sip?: string[];
}

const KINDS = new Set(['digits', 'number', 'characters', 'sound', 'tone', 'recording']);

/** What a media URI says to a listener. Pure. */
export function describeMedia(uri: string): Pick<Heard, 'kind' | 'text'> {
  const { scheme, value } = splitMedia(uri);
  const kind = (KINDS.has(scheme) ? scheme : 'sound') as Heard['kind'];
  return { kind, text: value };
}

/**
 * What every simulated phone rang, heard and pressed, kept after the call ends so a person (the demo's phone
 * page) or a test can read the verification code a phone was told. The newest `limit` calls are kept.
 */
export class PhoneLog {
  private readonly calls = new Map<string, PhoneCall>();

  constructor(private readonly limit = 200) {}

  open(call: Omit<PhoneCall, 'state' | 'answeredAt' | 'endedAt' | 'cause' | 'causeText' | 'heard' | 'keys'>): void {
    this.calls.delete(call.channelId);
    this.calls.set(call.channelId, { ...call, state: 'dialing', answeredAt: null, endedAt: null, cause: null, causeText: null, heard: [], keys: '' });
    while (this.calls.size > this.limit) this.calls.delete(this.calls.keys().next().value!);
  }

  ringing(channelId: string): void {
    const c = this.calls.get(channelId);
    if (c && c.state === 'dialing') c.state = 'ringing';
  }

  answered(channelId: string, at: number): void {
    const c = this.calls.get(channelId);
    if (c && c.state !== 'ended') { c.state = 'up'; c.answeredAt = at; }
  }

  heard(channelId: string, media: string, played: boolean, at = Date.now()): void {
    const c = this.calls.get(channelId);
    if (c && c.state === 'up') c.heard.push({ at, media, played, ...describeMedia(media) });
  }

  music(channelId: string, mohClass: string, at = Date.now()): void {
    const c = this.calls.get(channelId);
    if (c && c.state === 'up') c.heard.push({ at, media: `moh:${mohClass}`, kind: 'moh', text: 'music on hold', played: true });
  }

  /** A web call's browser was sent a SIP response or request. */
  signalled(channelId: string, what: string): void {
    this.calls.get(channelId)?.sip?.push(what);
  }

  key(channelId: string, digit: string): void {
    const c = this.calls.get(channelId);
    if (c) c.keys += digit;
  }

  ended(channelId: string, cause: number, at: number): void {
    const c = this.calls.get(channelId);
    if (!c || c.state === 'ended') return;
    c.state = 'ended';
    c.endedAt = at;
    c.cause = cause;
    c.causeText = causeText(cause);
  }

  /** Newest first; a copy. */
  list(): PhoneCall[] {
    return [...this.calls.values()].reverse().map((c) => ({ ...c, heard: [...c.heard], ...(c.sip ? { sip: [...c.sip] } : {}) }));
  }

  clear(): void {
    this.calls.clear();
  }
}
