import { randomUUID } from 'node:crypto';
import { AriError } from './ari-error.ts';
import { writeVariable } from './channel-variables.ts';
import type { Channel, Party } from './model.ts';
import type { PhoneBehavior } from './phone-rules.ts';
import { ariTime } from './time-format.ts';
import { TIMING } from './timing.ts';

/** POST /channels parameters, as the request carried them. */
export interface OriginateParams {
  endpoint?: string;
  app?: string;
  appArgs?: string;
  callerId?: string;
  timeout?: string;
  channelId?: string;
  otherChannelId?: string;
  originator?: string;
  extension?: string;
  variables?: Record<string, string>;
}

/** An originate needs an endpoint to dial and an app (or a dialplan extension) to run once answered. */
export function requireEndpoint(p: OriginateParams): string {
  if (!p.endpoint) throw new AriError(400, { message: 'Endpoint must be specified' });
  if (!p.app && !p.extension) throw new AriError(400, { message: 'Application or extension must be specified' });
  return p.endpoint;
}

/** How long the phone may ring (seconds): the request's `timeout`, else 30; 0 or less rings without limit. */
export function ringTimeoutSec(p: OriginateParams): number {
  if (p.timeout === undefined || p.timeout === '') return TIMING.defaultTimeoutSec;
  const t = Number(p.timeout);
  if (!Number.isFinite(t)) throw new AriError(400, { message: 'timeout must be a number' });
  return t;
}

/**
 * Asterisk's per-boot counters: the ids it makes up (`<boot epoch>.<n>`), channel name suffixes and CDR
 * sequence numbers. A restart starts them again.
 */
export class BootCounters {
  private nameSeq = 0;
  private cdrSeq = 0;
  private idSeq = 0;
  private bootEpoch = Math.floor(Date.now() / 1000);

  uniqueId(): string {
    return `${this.bootEpoch}.${this.idSeq++}`;
  }

  channelName(resource: string): string {
    return `PJSIP/${resource}-${(this.nameSeq++ % 0x100000000).toString(16).padStart(8, '0')}`;
  }

  cdrSequence(): number {
    return this.cdrSeq++;
  }

  reset(): void {
    this.nameSeq = 0;
    this.cdrSeq = 0;
    this.idSeq = 0;
    this.bootEpoch = Math.floor(Date.now() / 1000);
  }
}

export interface NewChannel {
  id: string;
  name: string;
  caller: Party;
  /** the channel this one was originated on behalf of: its account code and linked id carry over */
  originator: Channel | undefined;
  variables: Record<string, string> | undefined;
  now: number;
  cdrSequence: number;
  app: string;
  appArgs: string;
  resource: string;
  dialstring: string;
  behavior: PhoneBehavior;
}

/** A freshly originated channel, Down, before anything is dialed. */
export function newChannel(n: NewChannel): Channel {
  const b = n.behavior;
  const ch: Channel = {
    id: n.id,
    name: n.name,
    state: 'Down',
    protocolId: randomUUID(),
    caller: n.caller,
    connected: { ...n.caller },
    accountcode: n.originator?.accountcode ?? '',
    userfield: '',
    creationtime: ariTime(n.now),
    createdAt: n.now,
    answeredAt: null,
    cdrEndAt: null,
    cdrDestinationChannel: '',
    cdrPeerAccount: '',
    cdrSequence: n.cdrSequence,
    failDisposition: 'NO ANSWER',
    linkedid: n.originator?.linkedid ?? n.id,
    app: n.app,
    appArgs: n.appArgs,
    inStasis: false,
    stasisApp: '',
    inbound: null,
    deviceLeg: null,
    device: `PJSIP/${n.resource}`,
    endpointResource: n.resource,
    dialstring: n.dialstring,
    behavior: b,
    // A phone that answers by itself presses 1 after the first prompt unless its rule says otherwise.
    pressKey: b.kind === 'answer' ? (b.pressKey === undefined ? '1' : b.pressKey) : null,
    keyScheduled: false,
    bridge: null,
    moh: false,
    muted: { in: false, out: false },
    playbacks: [],
    vars: new Map(),
    timers: new Set(),
    timeoutTimer: null,
    ending: false,
    destroyed: false,
  };
  for (const [k, v] of Object.entries(n.variables ?? {})) writeVariable(ch, k, String(v));
  return ch;
}
