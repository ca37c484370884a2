import { notFound, notInStasis } from './ari-error.ts';
import type { PhoneBehavior } from './phone-rules.ts';

export type ChannelState = 'Down' | 'Ringing' | 'Up';

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
  /** the Stasis app the channel was originated into ('' when it was sent to the dialplan) */
  app: string;
  appArgs: string;
  inStasis: boolean;
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
