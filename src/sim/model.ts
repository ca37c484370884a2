import { notFound, notInStasis } from './ari-error.ts';
import type { PhoneBehavior } from './phone-rules.ts';

/** `Ring`: an incoming call not yet answered (the caller hears ringing only once the app rings it). */
export type ChannelState = 'Down' | 'Ring' | 'Ringing' | 'Up';

export interface Party {
  name: string;
  number: string;
}

export interface Channel {
  id: string;
  name: string;
  state: ChannelState;
  protocolId: string;
  caller: Party;
  connected: Party;
  accountcode: string;
  userfield: string;
  creationtime: string;
  createdAt: number;
  answeredAt: number | null;
  /** a leg that joins a bridge someone already waits in has its own CDR closed at that moment */
  cdrEndAt: number | null;
  cdrDestinationChannel: string;
  cdrPeerAccount: string;
  cdrSequence: number;
  /** what the CDR says when the call was never answered */
  failDisposition: 'NO ANSWER' | 'BUSY' | 'CONGESTION' | 'FAILED';
  linkedid: string;
  /**
   * the Stasis app the channel was originated into ('' for a call that came in through the dialplan): it stays
   * subscribed to the channel's events for the channel's whole life, wherever the channel is moved
   */
  app: string;
  appArgs: string;
  inStasis: boolean;
  /** the app the channel is in now ('' outside Stasis); StasisStart/End go to it and it gets every channel event */
  stasisApp: string;
  /** a call that came in through the dialplan (a browser's web call); null for originated channels */
  inbound: InboundEntry | null;
  /** the far end is a registered browser softphone (SIP over WebSocket): told when the exchange ends the call */
  deviceLeg: DeviceLeg | null;
  /** the device whose state this channel counts towards, e.g. PJSIP/carrier or PJSIP/agent1 */
  device: string;
  endpointResource: string;
  dialstring: string;
  behavior: PhoneBehavior;
  pressKey: string | null;
  keyScheduled: boolean;
  bridge: Bridge | null;
  moh: boolean;
  /** Audio muted by ARI (POST /channels/{id}/mute): `in` = what this phone says is not heard, `out` = it hears nothing. */
  muted: { in: boolean; out: boolean };
  playbacks: Playback[];
  vars: Map<string, string>;
  timers: Set<NodeJS.Timeout>;
  timeoutTimer: NodeJS.Timeout | null;
  ending: boolean;
  destroyed: boolean;
}

/** Where an incoming call entered the dialplan and what reached Stasis() with it. */
export interface InboundEntry {
  context: string;
  exten: string;
  /** Stasis()'s app_data as the dialplan expanded it, e.g. `beckon-inbound,webcall,<ticket>` */
  appData: string;
  /** the INVITE's extra SIP headers by lower-cased name (what PJSIP_HEADER(read,…) reads) */
  headers: Map<string, string>;
  /** the caller's side of the call (the browser): told of ringing, early media, answer and the end */
  caller: CallerLeg;
  /** the app rang the caller or played early media: the device counts as in use */
  alerted: boolean;
  /** the caller put the call on hold (re-INVITE a=sendonly) */
  held: boolean;
}

/** A browser softphone the exchange dialed: the call ended on the exchange's side (BYE or CANCEL unless it hung up). */
export interface DeviceLeg {
  ended(cause: number): void;
}

/** What the calling side is told as the app handles its call (SIP responses for a browser). */
export interface CallerLeg {
  ringing(): void;
  /** the app plays before answering: 183 with SDP */
  earlyMedia(): void;
  answered(): void;
  /** the app hangs up: a final response (unanswered) or BYE, with the Q.850 cause */
  hungUp(cause: number, answered: boolean): void;
  /** whether something is audible on the channel changed (media starts or stops flowing) */
  audible?(on: boolean): void;
}

export interface Bridge {
  id: string;
  name: string;
  bridgeType: 'mixing' | 'holding';
  technology: string;
  creationtime: string;
  /** channel ids in join order */
  channels: string[];
  /** apps subscribed to the bridge: those of every channel that has been in it */
  apps: Set<string>;
  moh: boolean;
  playbacks: Playback[];
}

export type PlaybackState = 'queued' | 'playing' | 'continuing' | 'done' | 'failed';

export interface Playback {
  id: string;
  media: string[];
  index: number;
  language: string;
  state: PlaybackState;
  target: { kind: 'channel'; channel: Channel } | { kind: 'bridge'; bridge: Bridge };
  timer: NodeJS.Timeout | null;
}

export interface OriginateRecord {
  channelId: string;
  endpoint: string;
  /** the dialed number for trunk calls, without any '+' */
  number?: string;
  callerId: string;
  app: string;
  appArgs: string;
  /** epoch milliseconds */
  at: number;
  /** seconds, as requested (default 30) */
  timeout: number;
  variables: Record<string, string>;
}

/** The live channels, bridges and playbacks by id, shared by every resource of the exchange. */
export class ExchangeState {
  readonly channels = new Map<string, Channel>();
  readonly bridges = new Map<string, Bridge>();
  readonly playbacks = new Map<string, Playback>();

  channel(id: string): Channel {
    const ch = this.channels.get(id);
    if (!ch) throw notFound('Channel');
    return ch;
  }

  /** Most channel operations need the channel in its Stasis app (409 otherwise). */
  stasisChannel(id: string): Channel {
    const ch = this.channel(id);
    if (!ch.inStasis) throw notInStasis();
    return ch;
  }

  bridge(id: string): Bridge {
    const b = this.bridges.get(id);
    if (!b) throw notFound('Bridge');
    return b;
  }

  clear(): void {
    this.channels.clear();
    this.bridges.clear();
    this.playbacks.clear();
  }
}
