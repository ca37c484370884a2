import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AriError, notFound, notInStasis } from './ari-error.ts';
import { bridgeJson, channelJson, playbackJson } from './ari-snapshots.ts';
import { amiChannelFields, cdrLastApp, type AmiFields } from './ami-format.ts';
import { causeText } from './causes.ts';
import { DeviceRegistry, parseCallerId, parseDialTarget } from './endpoints.ts';
import { MISSING_MEDIA_FAILS_AFTER_MS, mediaInfo, mediaPlayable } from './media.ts';
import type { Bridge, Channel, OriginateRecord, Playback } from './model.ts';
import { PhoneBook, type PhoneBehavior } from './phone-rules.ts';
import { PhoneLog } from './phone-log.ts';
import type { AmiSink, AriSink } from './sinks.ts';
import { ariTime, cdrTime, wholeSeconds } from './time-format.ts';
import { mappedCdrFields, type CdrMappings } from './cdr-manager.ts';

/** Scripted delays (unscaled ms) measured on the recorded Asterisk. */
export const TIMING = {
  busyAfterMs: 300,
  rejectAfterMs: 300,
  congestionAfterMs: 100,
  /** SIP timer B: a dead address without qualify fails after 32 s */
  unreachableAfterMs: 32000,
  answerAfterMs: 1000,
  maxCallMs: 60000,
  keyAfterPlaybackMs: 500,
  dtmfReportAfterMs: 140,
  dtmfDurationMs: 280,
  defaultTimeoutSec: 30,
} as const;

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

export interface ExchangeOptions {
  timeScale: number;
  asteriskId: string;
  logger: Logger;
  ari: AriSink;
  ami: AmiSink;
  /** indications.conf present: `tone:` playbacks play (else they fail like a missing sound) */
  indications: boolean;
  /** cdr_manager.conf's [mappings]: the fields Cdr events carry after UserField (none: no LinkedID, Sequence, PeerAccount) */
  cdrMappings: CdrMappings;
}

type HangupHow =
  | { by: 'app'; requestCause: number; cause: number }
  | { by: 'far-end' };

/**
 * The simulated telephone exchange: channels, bridges and playbacks, scripted phones, and the
 * ARI and AMI events a real Asterisk 22 sends for them, in the order the traces show.
 */
export class Exchange {
  readonly channels = new Map<string, Channel>();
  readonly bridges = new Map<string, Bridge>();
  readonly playbacks = new Map<string, Playback>();
  readonly phoneBook = new PhoneBook();
  readonly devices = new DeviceRegistry();
  readonly trunks = new Set<string>(['carrier']);
  /** what each phone rang, heard and pressed (kept after the call for the demo's phone page and tests) */
  readonly phoneLog = new PhoneLog();
  private originateLog: OriginateRecord[] = [];
  private nameSeq = 0;
  private cdrSeq = 0;
  private idSeq = 0;
  private bootEpoch = Math.floor(Date.now() / 1000);
  private readonly deviceUse = new Map<string, { ringing: number; up: number; state: string }>();

  constructor(private readonly opts: ExchangeOptions) {}

  private scaled(ms: number): number {
    return ms * this.opts.timeScale;
  }

  private after(ch: Channel, ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      ch.timers.delete(t);
      if (!ch.destroyed) fn();
    }, this.scaled(ms));
    ch.timers.add(t);
    return t;
  }

  // ---------------------------------------------------------------- events

  /** `lead` fields go before `type`, as Asterisk writes ChannelHangupRequest's cause first. */
  private event(type: string, fields: Record<string, unknown>, lead?: Record<string, unknown>): Record<string, unknown> {
    return { ...lead, type, timestamp: ariTime(Date.now()), ...fields, asterisk_id: this.opts.asteriskId };
  }

  private toChannel(ch: Channel, type: string, fields: Record<string, unknown>, lead?: Record<string, unknown>): void {
    if (!ch.app) return;
    this.opts.ari.publish([ch.app], this.event(type, fields, lead));
  }

  private toBridge(b: Bridge, extraApp: string, type: string, fields: Record<string, unknown>): void {
    const apps = new Set(b.apps);
    if (extraApp) apps.add(extraApp);
    if (apps.size) this.opts.ari.publish(apps, this.event(type, fields));
  }

  private ami(build: () => AmiFields): void {
    if (this.opts.ami.listening) this.opts.ami.send(build());
  }

  private amiCall(event: string, ch: Channel, extra: AmiFields = []): void {
    this.ami(() => [['Event', event], ['Privilege', 'call,all'], ...amiChannelFields(ch), ...extra]);
  }

  private amiDial(event: 'DialBegin' | 'DialEnd', ch: Channel, extra: AmiFields): void {
    this.ami(() => [['Event', event], ['Privilege', 'call,all'], ...amiChannelFields(ch, 'Dest'), ...extra]);
  }

  private dialEvent(ch: Channel, dialstatus: string): void {
    this.toChannel(ch, 'Dial', { dialstatus, forward: '', dialstring: ch.dialstring, peer: channelJson(ch) });
  }

  // ---------------------------------------------------------------- device state

  private deviceDelta(device: string, ringing: number, up: number): void {
    let use = this.deviceUse.get(device);
    if (!use) {
      use = { ringing: 0, up: 0, state: 'NOT_INUSE' };
      this.deviceUse.set(device, use);
    }
    use.ringing += ringing;
    use.up += up;
    const state =
      use.up > 0 ? (use.ringing > 0 ? 'RINGINUSE' : 'INUSE') : use.ringing > 0 ? 'RINGING' : 'NOT_INUSE';
    if (state !== use.state) {
      use.state = state;
      this.amiDeviceState(device, state);
    }
    if (state === 'NOT_INUSE') this.deviceUse.delete(device);
  }

  private amiDeviceState(device: string, state: string): void {
    this.ami(() => [['Event', 'DeviceStateChange'], ['Privilege', 'call,all'], ['Device', device], ['State', state]]);
  }

  deviceState(name: string): string {
    if (this.devices.known(name) && !this.devices.get(name).reachable) return 'UNAVAILABLE';
    return this.deviceUse.get(`PJSIP/${name}`)?.state ?? 'NOT_INUSE';
  }

  // ---------------------------------------------------------------- originate

  originate(p: OriginateParams): Record<string, unknown> {
    if (!p.endpoint) throw new AriError(400, { message: 'Endpoint must be specified' });
    if (!p.app && !p.extension) throw new AriError(400, { message: 'Application or extension must be specified' });
    const id = p.channelId || `${this.bootEpoch}.${this.idSeq++}`;
    if (this.channels.has(id) || (p.otherChannelId && this.channels.has(p.otherChannelId))) {
      throw new AriError(409, { message: 'Channel with given unique ID already exists' });
    }
    const target = parseDialTarget(p.endpoint);
    if (!target) throw new AriError(500, { error: 'Allocation failed' });
    let behavior: PhoneBehavior;
    let resource: string;
    if (target.kind === 'device') {
      const setting = this.devices.get(target.name);
      // Qualified contacts that stopped answering make PJSIP refuse the channel outright.
      if (!setting.reachable) throw new AriError(500, { error: 'Allocation failed' });
      behavior = setting.behavior;
      resource = target.name;
    } else {
      behavior = this.phoneBook.behaviorFor(target.number);
      resource = target.trunk;
      this.trunks.add(target.trunk);
    }
    let timeoutSec: number = TIMING.defaultTimeoutSec;
    if (p.timeout !== undefined && p.timeout !== '') {
      const t = Number(p.timeout);
      if (!Number.isFinite(t)) throw new AriError(400, { message: 'timeout must be a number' });
      timeoutSec = t;
    }

    const now = Date.now();
    const party = parseCallerId(p.callerId);
    const originator = p.originator ? this.channels.get(p.originator) : undefined;
    const vars = new Map<string, string>();
    let accountcode = originator?.accountcode ?? '';
    let userfield = '';
    for (const [k, v] of Object.entries(p.variables ?? {})) {
      const value = String(v);
      if (k === 'CHANNEL(accountcode)') accountcode = value;
      else if (k === 'CDR(userfield)') userfield = value;
      else vars.set(k, value);
    }
    const pressKey = behavior.kind === 'answer' ? (behavior.pressKey === undefined ? '1' : behavior.pressKey) : null;
    const ch: Channel = {
      id,
      name: `PJSIP/${resource}-${(this.nameSeq++ % 0x100000000).toString(16).padStart(8, '0')}`,
      state: 'Down',
      protocolId: randomUUID(),
      caller: party,
      connected: { ...party },
      accountcode,
      userfield,
      creationtime: ariTime(now),
      createdAt: now,
      answeredAt: null,
      cdrEndAt: null,
      cdrDestinationChannel: '',
      cdrPeerAccount: '',
      cdrSequence: this.cdrSeq++,
      failDisposition: 'NO ANSWER',
      linkedid: originator?.linkedid ?? id,
      app: p.app ?? '',
      appArgs: p.appArgs ?? '',
      inStasis: false,
      device: `PJSIP/${resource}`,
      endpointResource: resource,
      dialstring: target.dialstring,
      behavior,
      pressKey,
      keyScheduled: false,
      bridge: null,
      moh: false,
      muted: { in: false, out: false },
      playbacks: [],
      vars,
      timers: new Set(),
      timeoutTimer: null,
      ending: false,
      destroyed: false,
    };
    this.channels.set(id, ch);
    this.originateLog.push({
      channelId: id,
      endpoint: p.endpoint,
      ...(target.kind === 'trunk' ? { number: target.number.replace(/^\+/, '') } : {}),
      callerId: p.callerId ?? '',
      app: ch.app,
      appArgs: ch.appArgs,
      at: now,
      timeout: timeoutSec,
      variables: { ...(p.variables ?? {}) },
    });
    this.phoneLog.open({
      channelId: id, endpoint: p.endpoint, number: target.kind === 'trunk' ? target.number.replace(/^\+/, '') : null,
      device: target.kind === 'device' ? target.name : null, callerId: p.callerId ?? '', startedAt: now, autoAnswer: behavior.kind === 'answer',
    });
    this.opts.logger.debug({ channelId: id, endpoint: p.endpoint, behavior: behavior.kind }, 'sim originate');

    this.ami(() => [['Event', 'Newchannel'], ['Privilege', 'call,all'], ...amiChannelFields(ch, '', true)]);
    // The REST answer goes out first; the dial starts on the next turn of the event loop. Every
    // timer of the attempt is set now, from one instant, so a stalled event loop cannot reorder them.
    this.after(ch, 0, () => this.startDial(ch));
    this.scheduleOutcome(ch);
    if (timeoutSec > 0) ch.timeoutTimer = this.after(ch, timeoutSec * 1000, () => this.noAnswerTimeout(ch));
    return channelJson(ch);
  }

  originates(filter?: { number?: string }): OriginateRecord[] {
    if (filter?.number) {
      const n = filter.number.replace(/^\+/, '');
      return this.originateLog.filter((o) => o.number === n);
    }
    return [...this.originateLog];
  }

  clearOriginates(): void {
    this.originateLog = [];
  }

  /**
   * Node does not order timers of different durations once the event loop has stalled past both, so the
   * phone's answer (or refusal) may fire before the 0 ms dial start: whichever comes first starts the dial,
   * once, so the events keep the recorded order (Dial "" and Ringing before Up).
   */
  private readonly dialStarted = new WeakSet<Channel>();

  private ensureDialStarted(ch: Channel): void {
    if (!this.dialStarted.has(ch)) this.startDial(ch);
  }

  private startDial(ch: Channel): void {
    if (this.dialStarted.has(ch)) return;
    this.dialStarted.add(ch);
    this.dialEvent(ch, '');
    this.amiDial('DialBegin', ch, [['DialString', ch.dialstring]]);
    if (ch.behavior.kind === 'answer' || ch.behavior.kind === 'noanswer') this.ring(ch);
  }

  private scheduleOutcome(ch: Channel): void {
    const b = ch.behavior;
    switch (b.kind) {
      case 'answer':
        this.after(ch, b.afterMs ?? TIMING.answerAfterMs, () => { this.ensureDialStarted(ch); this.answer(ch); });
        break;
      case 'noanswer':
        break;
      case 'busy':
        this.after(ch, b.afterMs ?? TIMING.busyAfterMs, () => { this.ensureDialStarted(ch); this.phoneRefuses(ch, 17, 486, 'BUSY', 'BUSY'); });
        break;
      case 'reject':
        this.after(ch, b.afterMs ?? TIMING.rejectAfterMs, () => { this.ensureDialStarted(ch); this.phoneRefuses(ch, 21, 603, 'NOANSWER', 'NO ANSWER'); });
        break;
      case 'congestion':
        this.after(ch, b.afterMs ?? TIMING.congestionAfterMs, () => {
          this.ensureDialStarted(ch);
          this.phoneRefuses(ch, 34, 503, 'CONGESTION', 'CONGESTION');
        });
        break;
      case 'unreachable':
        this.after(ch, b.afterMs ?? TIMING.unreachableAfterMs, () => {
          this.ensureDialStarted(ch);
          this.phoneRefuses(ch, 18, 408, 'NOANSWER', 'NO ANSWER');
        });
        break;
    }
  }

  private ring(ch: Channel): void {
    ch.state = 'Ringing';
    this.toChannel(ch, 'ChannelStateChange', { channel: channelJson(ch) });
    this.dialEvent(ch, 'RINGING');
    this.amiCall('Newstate', ch);
    this.deviceDelta(ch.device, 1, 0);
    this.phoneLog.ringing(ch.id);
  }

  /**
   * Someone picks up a ringing phone by hand (the demo's phone page, tests): it answers now, whatever its
   * number's rule, and presses only the keys it is told to.
   */
  pickUp(id: string): void {
    const ch = this.channels.get(id);
    if (!ch || ch.ending) throw notFound('Channel');
    if (ch.answeredAt !== null) throw new AriError(409, { message: 'Channel is already answered' });
    if (ch.state !== 'Ringing') throw new AriError(409, { message: 'Channel is not ringing' });
    ch.pressKey = null;
    this.answer(ch);
  }

  private answer(ch: Channel): void {
    // Answered already (picked up by hand before its scripted answer): nothing more happens.
    if (ch.ending || ch.answeredAt !== null) return;
    const wasRinging = ch.state === 'Ringing';
    ch.state = 'Up';
    ch.answeredAt = Date.now();
    if (ch.timeoutTimer) {
      clearTimeout(ch.timeoutTimer);
      ch.timers.delete(ch.timeoutTimer);
      ch.timeoutTimer = null;
    }
    this.toChannel(ch, 'ChannelStateChange', { channel: channelJson(ch) });
    this.dialEvent(ch, 'ANSWER');
    this.amiCall('Newstate', ch);
    this.amiDial('DialEnd', ch, [['DialStatus', 'ANSWER']]);
    this.deviceDelta(ch.device, wasRinging ? -1 : 0, 1);
    this.phoneLog.answered(ch.id, ch.answeredAt);
    if (ch.app && !this.opts.ari.live(ch.app)) {
      // Asterisk hands an answered channel to its app only while the app has a WebSocket; otherwise it hangs
      // the channel up in the same millisecond, with cause 0 and no ARI event (app-not-connected trace).
      ch.ending = true;
      this.destroy(ch, 0);
      return;
    }
    if (ch.app) {
      ch.inStasis = true;
      this.toChannel(ch, 'StasisStart', { args: ch.appArgs === '' ? [] : ch.appArgs.split(','), channel: channelJson(ch) });
    }
    const b = ch.behavior;
    const hangupAfter = b.kind === 'answer' && b.hangupAfterMs !== undefined ? b.hangupAfterMs : TIMING.maxCallMs;
    this.after(ch, hangupAfter, () => this.farEndHangup(ch));
  }

  /** Busy, rejected, congested or unreachable: the phone side ends the attempt with a cause. */
  private phoneRefuses(
    ch: Channel,
    cause: number,
    techCause: number,
    dialstatus: string,
    disposition: Channel['failDisposition'],
  ): void {
    if (ch.ending || ch.answeredAt !== null) return;
    ch.ending = true;
    ch.failDisposition = disposition;
    this.toChannel(ch, 'ChannelHangupRequest', { channel: channelJson(ch) }, { cause, tech_cause: techCause });
    this.dialEvent(ch, dialstatus);
    this.amiCall('HangupRequest', ch, [['Cause', cause], ['TechCause', techCause]]);
    this.amiDial('DialEnd', ch, [['DialStatus', dialstatus]]);
    this.destroy(ch, cause, techCause);
  }

  /** The originate timeout: Asterisk gives up ringing with no hangup request and no final Dial. */
  private noAnswerTimeout(ch: Channel): void {
    if (ch.ending || ch.answeredAt !== null) return;
    ch.ending = true;
    ch.failDisposition = 'NO ANSWER';
    this.destroy(ch, 19, 480);
  }

  // ---------------------------------------------------------------- hangups

  /** DELETE /channels/{id}: `cause` is what the channel is destroyed with (reason=normal -> 16). */
  hangup(id: string, cause = 16, requestCause = 32): void {
    const ch = this.channels.get(id);
    if (!ch || ch.ending) throw notFound('Channel');
    this.end(ch, { by: 'app', requestCause, cause });
  }

  /** The phone hangs up (scripted or through the control API). */
  farEndHangup(ch: Channel | string): void {
    const c = typeof ch === 'string' ? this.channels.get(ch) : ch;
    if (!c || c.ending) throw notFound('Channel');
    if (c.answeredAt === null) {
      // A phone that hangs up while it rings declines the call.
      this.phoneRefuses(c, 21, 603, 'NOANSWER', 'NO ANSWER');
      return;
    }
    this.end(c, { by: 'far-end' });
  }

  private end(ch: Channel, how: HangupHow): void {
    ch.ending = true;
    if (how.by === 'app') {
      this.toChannel(ch, 'ChannelHangupRequest', { channel: channelJson(ch) }, { cause: how.requestCause, soft: true });
      this.amiCall('SoftHangupRequest', ch, [['Cause', how.requestCause]]);
    } else {
      this.toChannel(ch, 'ChannelHangupRequest', { channel: channelJson(ch) });
      this.amiCall('HangupRequest', ch);
    }
    if (ch.answeredAt === null) {
      this.dialEvent(ch, 'NOANSWER');
      this.amiDial('DialEnd', ch, [['DialStatus', 'NOANSWER']]);
      this.destroy(ch, how.by === 'app' ? how.cause : 16);
      return;
    }
    const wasBridged = ch.bridge !== null;
    if (ch.bridge) this.leaveBridge(ch, ch.bridge);
    this.finishPlaybacks(ch.playbacks);
    if (ch.inStasis) this.toChannel(ch, 'StasisEnd', { channel: channelJson(ch) });
    // A remote BYE outside a bridge carries no cause; inside one the bridge reports normal clearing.
    this.destroy(ch, how.by === 'app' ? how.cause : wasBridged ? 16 : 0);
  }

  private destroy(ch: Channel, cause: number, techCause?: number): void {
    const endAt = Date.now();
    const fields: Record<string, unknown> = { cause, cause_txt: causeText(cause) };
    if (techCause !== undefined) fields.tech_cause = techCause;
    fields.channel = channelJson(ch, true);
    this.toChannel(ch, 'ChannelDestroyed', fields);
    const hangupExtra: AmiFields = [['Cause', cause], ['Cause-txt', causeText(cause)]];
    this.amiCall('Hangup', ch, techCause !== undefined ? [...hangupExtra, ['TechCause', techCause]] : hangupExtra);
    this.ami(() => this.cdrFields(ch, endAt));
    this.phoneLog.ended(ch.id, cause, endAt);
    ch.destroyed = true;
    ch.inStasis = false;
    for (const t of ch.timers) clearTimeout(t);
    ch.timers.clear();
    for (const pb of ch.playbacks) this.dropPlayback(pb);
    ch.playbacks = [];
    this.channels.delete(ch.id);
    if (ch.state === 'Ringing') this.deviceDelta(ch.device, -1, 0);
    else if (ch.state === 'Up') this.deviceDelta(ch.device, 0, -1);
  }

  private cdrFields(ch: Channel, endAt: number): AmiFields {
    const end = ch.cdrEndAt ?? endAt;
    const [lastApp, lastData] = cdrLastApp(ch);
    const callerId = `"${ch.caller.name}" <${ch.caller.number}>`;
    return [
      ['Event', 'Cdr'],
      ['Privilege', 'cdr,all'],
      ['AccountCode', ch.accountcode],
      ['Source', ch.caller.number],
      ['Destination', 's'],
      ['DestinationContext', 'from-sip'],
      ['CallerID', callerId],
      ['Channel', ch.name],
      ['DestinationChannel', ch.cdrDestinationChannel],
      ['LastApplication', lastApp],
      ['LastData', lastData],
      ['StartTime', cdrTime(ch.createdAt)],
      ['AnswerTime', ch.answeredAt !== null ? cdrTime(ch.answeredAt) : ''],
      ['EndTime', cdrTime(end)],
      ['Duration', wholeSeconds(ch.createdAt, end)],
      ['BillableSeconds', ch.answeredAt !== null ? wholeSeconds(ch.answeredAt, end) : 0],
      ['Disposition', ch.answeredAt !== null ? 'ANSWERED' : ch.failDisposition],
      ['AMAFlags', 'DOCUMENTATION'],
      ['UniqueID', ch.id],
      ['UserField', ch.userfield],
      ...mappedCdrFields(this.opts.cdrMappings, { linkedid: ch.linkedid, sequence: ch.cdrSequence, peeraccount: ch.cdrPeerAccount }),
    ];
  }

  // ---------------------------------------------------------------- channel operations

  channel(id: string): Channel {
    const ch = this.channels.get(id);
    if (!ch) throw notFound('Channel');
    return ch;
  }

  private stasisChannel(id: string): Channel {
    const ch = this.channel(id);
    if (!ch.inStasis) throw notInStasis();
    return ch;
  }

  answerChannel(id: string): void {
    this.stasisChannel(id);
    // Outbound channels enter Stasis already answered, so there is nothing left to do.
  }

  ringChannel(id: string): void {
    this.stasisChannel(id);
  }

  startChannelMoh(id: string, mohClass = 'default'): void {
    const ch = this.stasisChannel(id);
    ch.moh = true;
    this.amiCall('MusicOnHoldStart', ch, [['Class', mohClass]]);
    this.phoneLog.music(ch.id, mohClass);
  }

  stopChannelMoh(id: string): void {
    const ch = this.stasisChannel(id);
    if (!ch.moh) throw new AriError(409, { message: "Channel isn't playing music" });
    ch.moh = false;
    this.amiCall('MusicOnHoldStop', ch);
  }

  /**
   * Mute / unmute (traces/hold-moh-transfer): 204 either way, unmuting what is not muted too; no ARI or AMI event;
   * a direction other than in, out or both is 400.
   */
  muteChannel(id: string, direction: string | undefined, on: boolean): void {
    const dir = direction ?? 'both';
    if (dir !== 'in' && dir !== 'out' && dir !== 'both') throw new AriError(400, { message: 'Invalid direction specified' });
    const ch = this.stasisChannel(id);
    if (dir !== 'out') ch.muted.in = on;
    if (dir !== 'in') ch.muted.out = on;
  }

  getVariable(id: string, name: string | undefined): string {
    const ch = this.channel(id);
    if (!name) throw new AriError(400, { message: 'Variable name is required' });
    if (name === 'CHANNEL(accountcode)') return ch.accountcode;
    if (name === 'CDR(userfield)') return ch.userfield;
    const v = ch.vars.get(name);
    if (v === undefined) throw new AriError(404, { message: 'Provided variable was not found' });
    return v;
  }

  setVariable(id: string, name: string | undefined, value: string): void {
    const ch = this.channel(id);
    if (!name) throw new AriError(400, { message: 'Variable name is required' });
    if (name === 'CHANNEL(accountcode)') ch.accountcode = value;
    else if (name === 'CDR(userfield)') ch.userfield = value;
    else ch.vars.set(name, value);
  }

  /**
   * A key pressed on the phone `inMs` from now: AMI sees the key start, ARI the whole digit 140 ms
   * later. Both timers start together so nothing scheduled meanwhile can slip between them.
   */
  pressKey(id: string, digit: string, inMs = 0): void {
    const ch = this.channel(id);
    if (!/^[0-9A-D*#]$/.test(digit)) throw new AriError(400, { message: 'digit must be one DTMF digit' });
    if (ch.state !== 'Up') throw new AriError(409, { message: 'Channel is not answered' });
    const pressed = () => ch.state === 'Up' && !ch.ending;
    this.after(ch, inMs, () => {
      if (pressed()) this.amiCall('DTMFBegin', ch, [['Digit', digit], ['Direction', 'Received']]);
    });
    this.after(ch, inMs + TIMING.dtmfReportAfterMs, () => {
      if (!pressed()) return;
      this.amiCall('DTMFEnd', ch, [['Digit', digit], ['DurationMs', TIMING.dtmfDurationMs], ['Direction', 'Received']]);
      this.phoneLog.key(ch.id, digit);
      if (ch.inStasis) {
        this.toChannel(ch, 'ChannelDtmfReceived', { digit, duration_ms: TIMING.dtmfDurationMs, channel: channelJson(ch) });
      }
    });
  }

  /** DTMF the app sends towards the phone: nothing observable happens in the traces. */
  sendDtmfToPhone(id: string, dtmf: string | undefined): void {
    this.stasisChannel(id);
    if (!dtmf) throw new AriError(400, { message: 'DTMF is required' });
  }

  // ---------------------------------------------------------------- playbacks

  play(target: { channelId: string } | { bridgeId: string }, media: string[], playbackId: string | undefined, lang: string | undefined): Record<string, unknown> {
    if (media.length === 0) throw new AriError(400, { message: 'media must be specified' });
    const id = playbackId || randomUUID();
    if (this.playbacks.has(id)) throw new AriError(409, { message: 'Playback with given ID already exists' });
    let pb: Playback;
    if ('channelId' in target) {
      const ch = this.stasisChannel(target.channelId);
      pb = { id, media, index: 0, language: lang || 'en', state: 'queued', target: { kind: 'channel', channel: ch }, timer: null };
      ch.playbacks.push(pb);
    } else {
      const b = this.bridge(target.bridgeId);
      pb = { id, media, index: 0, language: lang || 'en', state: 'queued', target: { kind: 'bridge', bridge: b }, timer: null };
      b.playbacks.push(pb);
    }
    this.playbacks.set(id, pb);
    const snapshot = playbackJson(pb);
    // Asterisk may announce PlaybackStarted before it answers the POST; so does the simulator.
    if (this.queueOf(pb)[0] === pb) this.startMedia(pb);
    return snapshot;
  }

  private queueOf(pb: Playback): Playback[] {
    return pb.target.kind === 'channel' ? pb.target.channel.playbacks : pb.target.bridge.playbacks;
  }

  private playbackEvent(pb: Playback, type: string): void {
    const fields = { playback: playbackJson(pb) };
    if (pb.target.kind === 'channel') this.toChannel(pb.target.channel, type, fields);
    else this.toBridge(pb.target.bridge, '', type, fields);
  }

  private startMedia(pb: Playback): void {
    pb.state = 'playing';
    this.playbackEvent(pb, 'PlaybackStarted');
    if (pb.target.kind === 'channel') {
      const ch = pb.target.channel;
      if (ch.pressKey !== null && !ch.keyScheduled && ch.state === 'Up') {
        ch.keyScheduled = true;
        this.pressKey(ch.id, ch.pressKey, TIMING.keyAfterPlaybackMs);
      }
    }
    const uri = pb.media[pb.index]!;
    const playable = mediaPlayable(uri, { indications: this.opts.indications });
    const listeners = pb.target.kind === 'channel' ? [pb.target.channel.id] : pb.target.bridge.channels;
    for (const id of listeners) this.phoneLog.heard(id, uri, playable);
    if (!playable) {
      // A file Asterisk does not have (or a tone without indications): the playback ends failed, the rest of the list unplayed.
      pb.timer = setTimeout(() => this.finishPlayback(pb, 'failed'), this.scaled(MISSING_MEDIA_FAILS_AFTER_MS));
      return;
    }
    const length = mediaInfo(uri).lengthMs;
    if (length !== null) pb.timer = setTimeout(() => this.mediaDone(pb), this.scaled(length));
  }

  private mediaDone(pb: Playback): void {
    pb.timer = null;
    if (pb.index < pb.media.length - 1) {
      pb.state = 'continuing';
      this.playbackEvent(pb, 'PlaybackContinuing');
      pb.index++;
      this.startMedia(pb);
      return;
    }
    this.finishPlayback(pb);
  }

  private finishPlayback(pb: Playback, state: 'done' | 'failed' = 'done'): void {
    pb.timer = null;
    const queue = this.queueOf(pb);
    pb.state = state;
    this.playbackEvent(pb, 'PlaybackFinished');
    this.dropPlayback(pb);
    const i = queue.indexOf(pb);
    if (i >= 0) queue.splice(i, 1);
    const next = queue[0];
    if (i === 0 && next && next.state === 'queued') this.startMedia(next);
  }

  /** Playbacks cut short because their channel or bridge goes away end `failed`, as on Asterisk. */
  private finishPlaybacks(list: Playback[]): void {
    for (const pb of [...list]) {
      if (pb.state === 'queued') {
        this.dropPlayback(pb);
        list.splice(list.indexOf(pb), 1);
      } else {
        pb.state = 'failed';
        this.playbackEvent(pb, 'PlaybackFinished');
        this.dropPlayback(pb);
        list.splice(list.indexOf(pb), 1);
      }
    }
  }

  private dropPlayback(pb: Playback): void {
    if (pb.timer) clearTimeout(pb.timer);
    pb.timer = null;
    this.playbacks.delete(pb.id);
  }

  playback(id: string): Record<string, unknown> {
    const pb = this.playbacks.get(id);
    if (!pb) throw notFound('Playback');
    return playbackJson(pb);
  }

  stopPlayback(id: string): void {
    const pb = this.playbacks.get(id);
    if (!pb) throw notFound('Playback');
    if (pb.state !== 'queued' && !mediaInfo(pb.media[pb.index]!).controllable) {
      throw new AriError(500, { message: 'Could not stop playback' });
    }
    this.finishPlayback(pb);
  }

  // ---------------------------------------------------------------- bridges

  bridge(id: string): Bridge {
    const b = this.bridges.get(id);
    if (!b) throw notFound('Bridge');
    return b;
  }

  createBridge(type: string | undefined, name: string | undefined, bridgeId: string | undefined): Record<string, unknown> {
    const id = bridgeId || randomUUID();
    const existing = this.bridges.get(id);
    if (existing) return bridgeJson(existing);
    const holding = (type ?? '').split(',').includes('holding');
    const b: Bridge = {
      id,
      name: name ?? '',
      bridgeType: holding ? 'holding' : 'mixing',
      technology: holding ? 'holding_bridge' : 'simple_bridge',
      creationtime: ariTime(Date.now()),
      channels: [],
      apps: new Set(),
      moh: false,
      playbacks: [],
    };
    this.bridges.set(id, b);
    this.amiBridge('BridgeCreate', b);
    return bridgeJson(b);
  }

  private amiBridge(event: string, b: Bridge, ch?: Channel): void {
    this.ami(() => [
      ['Event', event],
      ['Privilege', 'call,all'],
      ['BridgeUniqueid', b.id],
      ['BridgeType', 'stasis'],
      ['BridgeTechnology', b.technology],
      ['BridgeCreator', 'Stasis'],
      ['BridgeName', b.name],
      ['BridgeNumChannels', b.channels.length],
      ['BridgeVideoSourceMode', 'talker'],
      ...(ch ? amiChannelFields(ch) : []),
    ]);
  }

  /** Two parties make a direct media bridge; one party or a crowd is mixed in software. */
  private retune(b: Bridge): void {
    if (b.bridgeType === 'holding') return;
    const n = b.channels.length;
    b.technology = n === 2 ? 'native_rtp' : n > 2 ? 'softmix' : 'simple_bridge';
  }

  addToBridge(bridgeId: string, channelIds: string[]): void {
    const b = this.bridge(bridgeId);
    if (channelIds.length === 0) throw new AriError(400, { message: 'Channel must be specified' });
    const chans = channelIds.map((cid) => {
      const ch = this.channels.get(cid);
      if (!ch || ch.ending) throw new AriError(400, { message: 'Channel not found' });
      if (!ch.inStasis) throw new AriError(422, { message: 'Channel not in Stasis application' });
      return ch;
    });
    for (const ch of chans) {
      if (ch.bridge === b) continue;
      if (ch.bridge) this.leaveBridge(ch, ch.bridge);
      this.enterBridge(ch, b);
    }
  }

  private enterBridge(ch: Channel, b: Bridge): void {
    b.channels.push(ch.id);
    ch.bridge = b;
    if (ch.app) b.apps.add(ch.app);
    this.toBridge(b, ch.app, 'ChannelEnteredBridge', { bridge: bridgeJson(b), channel: channelJson(ch) });
    this.amiBridge('BridgeEnter', b, ch);
    this.retune(b);
    if (b.channels.length === 2 && b.bridgeType === 'mixing') {
      const first = this.channels.get(b.channels[0]!);
      if (first) this.pairUp(first, ch);
    }
  }

  /** The second party joins: CDRs link up and each side learns who it talks to. */
  private pairUp(first: Channel, second: Channel): void {
    first.cdrDestinationChannel = second.name;
    first.cdrPeerAccount = second.accountcode;
    second.cdrEndAt = Date.now();
    for (const [ch, other] of [
      [first, second],
      [second, first],
    ] as const) {
      if (ch.connected.name === other.caller.name && ch.connected.number === other.caller.number) continue;
      ch.connected = { ...other.caller };
      this.toChannel(ch, 'ChannelConnectedLine', { channel: channelJson(ch) });
    }
  }

  private leaveBridge(ch: Channel, b: Bridge): void {
    const i = b.channels.indexOf(ch.id);
    if (i >= 0) b.channels.splice(i, 1);
    ch.bridge = null;
    this.toBridge(b, ch.app, 'ChannelLeftBridge', { bridge: bridgeJson(b), channel: channelJson(ch) });
    this.amiBridge('BridgeLeave', b, ch);
    this.retune(b);
  }

  removeFromBridge(bridgeId: string, channelIds: string[]): void {
    const b = this.bridge(bridgeId);
    if (channelIds.length === 0) throw new AriError(400, { message: 'Channel must be specified' });
    const chans = channelIds.map((cid) => {
      const ch = this.channels.get(cid);
      if (!ch) throw new AriError(400, { message: 'Channel not found' });
      if (ch.bridge !== b) throw new AriError(422, { message: 'Channel not in this bridge' });
      return ch;
    });
    for (const ch of chans) this.leaveBridge(ch, b);
  }

  destroyBridge(id: string): void {
    const b = this.bridge(id);
    for (const cid of [...b.channels]) {
      const ch = this.channels.get(cid);
      if (ch) this.leaveBridge(ch, b);
    }
    this.finishPlaybacks(b.playbacks);
    this.bridges.delete(id);
    this.toBridge(b, '', 'BridgeDestroyed', { bridge: bridgeJson(b) });
    this.amiBridge('BridgeDestroy', b);
  }

  /**
   * Bridge music comes from a hidden announcer channel that joins the bridge; a lone caller then
   * "talks to" the announcer, whose caller id is empty, and gets a ChannelConnectedLine for it.
   */
  startBridgeMoh(id: string): void {
    const b = this.bridge(id);
    if (b.moh) return;
    b.moh = true;
    for (const id of b.channels) this.phoneLog.music(id, 'default');
    if (b.channels.length !== 1) return;
    const ch = this.channels.get(b.channels[0]!);
    if (!ch || (ch.connected.name === '' && ch.connected.number === '')) return;
    ch.connected = { name: '', number: '' };
    this.toChannel(ch, 'ChannelConnectedLine', { channel: channelJson(ch) });
  }

  stopBridgeMoh(id: string): void {
    const b = this.bridge(id);
    if (!b.moh) throw new AriError(409, { message: "Bridge isn't playing music" });
    b.moh = false;
  }

  // ---------------------------------------------------------------- endpoints

  /** Reachability changes are announced the way PJSIP qualify reports them. */
  setEndpoint(name: string, change: { behavior?: unknown; reachable?: unknown }): void {
    const res = name.replace(/^PJSIP\//i, '');
    const { before, after } = this.devices.set(res, change);
    if (before.reachable === after.reachable) return;
    const device = `PJSIP/${res}`;
    const uri = `sip:${res}@127.0.0.1:5060`;
    const peer: AmiFields = [['Event', 'PeerStatus'], ['Privilege', 'system,all'], ['ChannelType', 'PJSIP'], ['Peer', device], ['PeerStatus', after.reachable ? 'Reachable' : 'Unreachable']];
    const contact: AmiFields = [
      ['Event', 'ContactStatus'],
      ['Privilege', 'system,all'],
      ['URI', uri],
      ['ContactStatus', after.reachable ? 'Reachable' : 'Unreachable'],
      ['AOR', res],
      ['EndpointName', res],
      ['RoundtripUsec', after.reachable ? 503 : 0],
    ];
    if (after.reachable) {
      this.ami(() => peer);
      this.amiDeviceState(device, this.deviceState(res));
      this.ami(() => contact);
    } else {
      this.ami(() => peer);
      this.ami(() => contact);
      this.amiDeviceState(device, 'UNAVAILABLE');
    }
    const apps = this.opts.ari.endpointSubscribers(device);
    if (apps.length) {
      const endpoint = this.endpointJson(res);
      this.opts.ari.publish(apps, this.event('EndpointStateChange', { endpoint }));
      this.opts.ari.publish(apps, this.event('PeerStatusChange', { endpoint, peer: { peer_status: after.reachable ? 'Reachable' : 'Unreachable' } }));
      this.opts.ari.publish(
        apps,
        this.event('ContactStatusChange', {
          endpoint,
          contact_info: { uri, contact_status: after.reachable ? 'Reachable' : 'Unreachable', aor: res, roundtrip_usec: after.reachable ? '503' : '0' },
        }),
      );
    }
  }

  endpointJson(resource: string): Record<string, unknown> {
    const reachable = this.trunks.has(resource) || this.devices.get(resource).reachable;
    const ids: string[] = [];
    for (const ch of this.channels.values()) if (ch.endpointResource === resource) ids.push(ch.id);
    return { technology: 'PJSIP', resource, state: reachable ? 'online' : 'offline', channel_ids: ids };
  }

  endpointNames(): string[] {
    return [...new Set([...this.devices.names(), ...this.trunks])].sort();
  }

  endpointExists(resource: string): boolean {
    return this.trunks.has(resource) || this.devices.known(resource);
  }

  /** Current device states, as AMI DeviceStateList would report them. */
  deviceStates(): Array<[string, string]> {
    const out = new Map<string, string>();
    for (const name of this.devices.names()) out.set(`PJSIP/${name}`, this.deviceState(name));
    for (const [device, use] of this.deviceUse) out.set(device, use.state);
    return [...out];
  }

  // ---------------------------------------------------------------- restart

  /** Everything is hung up as on `core restart now`: soft hangup cause 4, then gone. */
  shutdown(): void {
    for (const ch of [...this.channels.values()]) {
      if (!ch.ending) this.end(ch, { by: 'app', requestCause: 4, cause: 16 });
    }
    for (const b of this.bridges.values()) this.finishPlaybacks(b.playbacks);
    this.bridges.clear();
    this.playbacks.clear();
    this.deviceUse.clear();
  }

  /** A fresh boot: counters start again and ids are Asterisk's epoch-based defaults again. */
  boot(): void {
    this.nameSeq = 0;
    this.cdrSeq = 0;
    this.idSeq = 0;
    this.bootEpoch = Math.floor(Date.now() / 1000);
  }

  /** Stops every timer without sending anything (the simulator is closing). */
  halt(): void {
    for (const ch of this.channels.values()) {
      ch.destroyed = true;
      for (const t of ch.timers) clearTimeout(t);
      ch.timers.clear();
    }
    for (const pb of this.playbacks.values()) if (pb.timer) clearTimeout(pb.timer);
    this.channels.clear();
    this.bridges.clear();
    this.playbacks.clear();
    this.deviceUse.clear();
  }
}
