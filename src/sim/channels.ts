import type { Logger } from 'pino';
import { AriError, notFound } from './ari-error.ts';
import { channelJson } from './ari-snapshots.ts';
import { amiChannelFields, type AmiFields } from './ami-format.ts';
import type { Bridges } from './bridges.ts';
import { causeText } from './causes.ts';
import { cdrEvent, type CdrMappings } from './cdr.ts';
import type { Clock } from './clock.ts';
import { parseCallerId, parseDialTarget, type Endpoints } from './endpoints.ts';
import type { Keypad } from './keypad.ts';
import type { Channel, ExchangeState, OriginateRecord } from './model.ts';
import { newChannel, requireEndpoint, ringTimeoutSec, type BootCounters, type OriginateParams } from './originate.ts';
import { bareNumber } from './phone-rules.ts';
import type { PhoneLog } from './phone-log.ts';
import type { Playbacks } from './playbacks.ts';
import type { Signals } from './signals.ts';
import { causeForSipStatus } from './sip-status.ts';
import type { InboundCalls } from './web-calls.ts';
import { TIMING } from './timing.ts';

export interface ChannelsDeps {
  state: ExchangeState;
  clock: Clock;
  signals: Signals;
  endpoints: Endpoints;
  bridges: Bridges;
  playbacks: Playbacks;
  keypad: Keypad;
  phoneLog: PhoneLog;
  logger: Logger;
  /** cdr_manager.conf's [mappings]: the fields Cdr events carry after UserField */
  cdrMappings: CdrMappings;
  /** Asterisk's per-boot ids and name suffixes, shared with calls that come in */
  counters: BootCounters;
  /** calls that came in through the dialplan (web calls): they end their own way */
  inbound: InboundCalls;
}

/** Browser softphones (webagentN) the exchange can dial; their SIP answers decide the call. */
export interface SoftphoneDialer {
  handles(device: string): boolean;
  dial(ch: Channel): void;
}

type HangupHow =
  | { by: 'app'; requestCause: number; cause: number }
  | { by: 'far-end' };

/**
 * How a scripted phone refuses a call: Q.850 cause, SIP status, the Dial status, the CDR disposition, and after
 * how long unless its behaviour says otherwise.
 */
interface Refusal {
  cause: number;
  techCause: number;
  dialstatus: string;
  disposition: Channel['failDisposition'];
  afterMs: number;
}

const REFUSALS: Record<'busy' | 'reject' | 'congestion' | 'unreachable', Refusal> = {
  busy: { cause: 17, techCause: 486, dialstatus: 'BUSY', disposition: 'BUSY', afterMs: TIMING.busyAfterMs },
  reject: { cause: 21, techCause: 603, dialstatus: 'NOANSWER', disposition: 'NO ANSWER', afterMs: TIMING.rejectAfterMs },
  congestion: { cause: 34, techCause: 503, dialstatus: 'CONGESTION', disposition: 'CONGESTION', afterMs: TIMING.congestionAfterMs },
  unreachable: { cause: 18, techCause: 408, dialstatus: 'NOANSWER', disposition: 'NO ANSWER', afterMs: TIMING.unreachableAfterMs },
};

/** The refusal a browser softphone's final SIP status stands for (webrtc-agent trace). */
function refusalFor(status: number): Refusal {
  if (status === 486 || status === 600) return REFUSALS.busy;
  if (status === 603) return REFUSALS.reject;
  if (status === 503) return REFUSALS.congestion;
  const cause = causeForSipStatus(status);
  return { cause, techCause: status, dialstatus: 'NOANSWER', disposition: 'NO ANSWER', afterMs: 0 };
}

/**
 * Channels from originate to destruction: the dial, the scripted phone ringing, answering or refusing, the
 * hang-ups from either side, and the ARI and AMI events of each step in the order the traces show.
 */
export class Channels {
  private originateLog: OriginateRecord[] = [];
  /**
   * Node does not order timers of different durations once the event loop has stalled past both, so the
   * phone's answer (or refusal) may fire before the 0 ms dial start: whichever comes first starts the dial,
   * once, so the events keep the recorded order (Dial "" and Ringing before Up).
   */
  private readonly dialStarted = new WeakSet<Channel>();
  private readonly state: ExchangeState;
  private readonly clock: Clock;
  private readonly signals: Signals;
  private readonly endpoints: Endpoints;
  private readonly bridges: Bridges;
  private readonly playbacks: Playbacks;
  private readonly keypad: Keypad;
  private readonly phoneLog: PhoneLog;
  private readonly logger: Logger;
  private readonly cdrMappings: CdrMappings;
  private readonly counters: BootCounters;
  private readonly inbound: InboundCalls;
  /** registered browser softphones: an originate to one sends it an INVITE over its WebSocket */
  private softphones: SoftphoneDialer | undefined;

  constructor(deps: ChannelsDeps) {
    ({
      state: this.state, clock: this.clock, signals: this.signals, endpoints: this.endpoints, bridges: this.bridges,
      playbacks: this.playbacks, keypad: this.keypad, phoneLog: this.phoneLog, logger: this.logger, cdrMappings: this.cdrMappings,
      counters: this.counters, inbound: this.inbound,
    } = deps);
  }

  /** The browser softphones (they need the exchange, so they join once it exists). */
  useSoftphones(softphones: SoftphoneDialer): void {
    this.softphones = softphones;
  }

  // ---------------------------------------------------------------- originate

  originate(p: OriginateParams): Record<string, unknown> {
    const endpoint = requireEndpoint(p);
    const id = p.channelId || this.counters.uniqueId();
    if (this.state.channels.has(id) || (p.otherChannelId && this.state.channels.has(p.otherChannelId))) {
      throw new AriError(409, { message: 'Channel with given unique ID already exists' });
    }
    const target = parseDialTarget(endpoint);
    if (!target) throw new AriError(500, { error: 'Allocation failed' });
    const { behavior, resource } = this.endpoints.reach(target);
    const timeoutSec = ringTimeoutSec(p);

    const now = Date.now();
    const ch = newChannel({
      id,
      name: this.counters.channelName(resource),
      caller: parseCallerId(p.callerId),
      originator: p.originator ? this.state.channels.get(p.originator) : undefined,
      variables: p.variables,
      now,
      cdrSequence: this.counters.cdrSequence(),
      app: p.app ?? '',
      appArgs: p.appArgs ?? '',
      resource,
      dialstring: target.dialstring,
      behavior,
    });
    this.state.channels.set(id, ch);
    const number = target.kind === 'trunk' ? bareNumber(target.number) : null;
    this.originateLog.push({
      channelId: id,
      endpoint,
      ...(number !== null ? { number } : {}),
      callerId: p.callerId ?? '',
      app: ch.app,
      appArgs: ch.appArgs,
      at: now,
      timeout: timeoutSec,
      variables: { ...(p.variables ?? {}) },
    });
    this.phoneLog.open({
      channelId: id, endpoint, number, device: target.kind === 'device' ? target.name : null,
      callerId: p.callerId ?? '', startedAt: now, autoAnswer: behavior.kind === 'answer',
    });
    this.logger.debug({ channelId: id, endpoint, behavior: behavior.kind }, 'sim originate');

    this.signals.ami(() => [['Event', 'Newchannel'], ['Privilege', 'call,all'], ...amiChannelFields(ch, '', true)]);
    // The REST answer goes out first; the dial starts on the next turn of the event loop. Every
    // timer of the attempt is set now, from one instant, so a stalled event loop cannot reorder them.
    this.clock.after(ch, 0, () => this.startDial(ch));
    if (target.kind === 'device' && this.softphones?.handles(target.name)) this.softphones.dial(ch);
    else this.scheduleOutcome(ch);
    if (timeoutSec > 0) ch.timeoutTimer = this.clock.after(ch, timeoutSec * 1000, () => this.noAnswerTimeout(ch));
    return channelJson(ch);
  }

  originates(filter?: { number?: string }): OriginateRecord[] {
    if (filter?.number) {
      const n = bareNumber(filter.number);
      return this.originateLog.filter((o) => o.number === n);
    }
    return [...this.originateLog];
  }

  clearOriginates(): void {
    this.originateLog = [];
  }

  private startDial(ch: Channel): void {
    if (this.dialStarted.has(ch)) return;
    this.dialStarted.add(ch);
    this.signals.dial(ch, '');
    this.signals.amiDial('DialBegin', ch, [['DialString', ch.dialstring]]);
    if (ch.behavior.kind === 'answer' || ch.behavior.kind === 'noanswer') this.ring(ch);
  }

  /** The phone's scripted answer or refusal; a phone that never answers waits for the originate timeout. */
  private scheduleOutcome(ch: Channel): void {
    const b = ch.behavior;
    if (b.kind === 'noanswer') return;
    if (b.kind === 'answer') {
      this.clock.after(ch, b.afterMs ?? TIMING.answerAfterMs, () => {
        this.startDial(ch);
        this.answer(ch);
      });
      return;
    }
    const refusal = REFUSALS[b.kind];
    this.clock.after(ch, b.afterMs ?? refusal.afterMs, () => {
      this.startDial(ch);
      this.refuse(ch, refusal);
    });
  }

  private ring(ch: Channel): void {
    ch.state = 'Ringing';
    this.signals.toChannel(ch, 'ChannelStateChange', { channel: channelJson(ch) });
    this.signals.dial(ch, 'RINGING');
    this.signals.amiCall('Newstate', ch);
    this.endpoints.countUse(ch.device, 1, 0);
    this.phoneLog.ringing(ch.id);
  }

  // ---------------------------------------------------------------- the phone's side

  /**
   * Someone picks up a ringing phone by hand (the demo's phone page, tests): it answers now, whatever its
   * number's rule, and presses only the keys it is told to.
   */
  pickUp(id: string): void {
    const ch = this.state.channels.get(id);
    if (!ch || ch.ending) throw notFound('Channel');
    if (ch.answeredAt !== null) throw new AriError(409, { message: 'Channel is already answered' });
    if (ch.state !== 'Ringing') throw new AriError(409, { message: 'Channel is not ringing' });
    ch.pressKey = null;
    this.answer(ch);
  }

  /** A browser softphone answered (200 OK). */
  deviceAnswered(ch: Channel): void {
    this.startDial(ch);
    this.answer(ch);
  }

  /** A browser softphone refused with a SIP status (JsSIP's default reject is 480, cause 19). */
  deviceRefused(ch: Channel, status: number): void {
    this.startDial(ch);
    this.refuse(ch, refusalFor(status));
  }

  /** A key pressed on the phone of an answered channel (the control API). */
  pressKey(id: string, digit: string): void {
    this.keypad.press(this.state.channel(id), digit);
  }

  private answer(ch: Channel): void {
    // Answered already (picked up by hand before its scripted answer): nothing more happens.
    if (ch.ending || ch.answeredAt !== null) return;
    const wasRinging = ch.state === 'Ringing';
    ch.state = 'Up';
    ch.answeredAt = Date.now();
    if (ch.timeoutTimer) {
      this.clock.cancel(ch, ch.timeoutTimer);
      ch.timeoutTimer = null;
    }
    this.signals.toChannel(ch, 'ChannelStateChange', { channel: channelJson(ch) });
    this.signals.dial(ch, 'ANSWER');
    this.signals.amiCall('Newstate', ch);
    this.signals.amiDial('DialEnd', ch, [['DialStatus', 'ANSWER']]);
    this.endpoints.countUse(ch.device, wasRinging ? -1 : 0, 1);
    this.phoneLog.answered(ch.id, ch.answeredAt);
    if (ch.app && !this.signals.live(ch.app)) {
      // Asterisk hands an answered channel to its app only while the app has a WebSocket; otherwise it hangs
      // the channel up in the same millisecond, with cause 0 and no ARI event (app-not-connected trace).
      ch.ending = true;
      this.destroy(ch, 0);
      return;
    }
    if (ch.app) {
      ch.inStasis = true;
      ch.stasisApp = ch.app;
      this.signals.toApp(ch.app, 'StasisStart', { args: ch.appArgs === '' ? [] : ch.appArgs.split(','), channel: channelJson(ch) });
    }
    // A person on a browser softphone hangs up when they choose; scripted phones end calls by their rule.
    if (ch.deviceLeg) return;
    const b = ch.behavior;
    const hangupAfter = b.kind === 'answer' && b.hangupAfterMs !== undefined ? b.hangupAfterMs : TIMING.maxCallMs;
    this.clock.after(ch, hangupAfter, () => this.farEndHangup(ch));
  }

  /** Busy, rejected, congested or unreachable: the phone side ends the attempt with a cause. */
  private refuse(ch: Channel, r: Refusal): void {
    if (ch.ending || ch.answeredAt !== null) return;
    ch.ending = true;
    ch.failDisposition = r.disposition;
    this.signals.toChannel(ch, 'ChannelHangupRequest', { channel: channelJson(ch) }, { cause: r.cause, tech_cause: r.techCause });
    this.signals.dial(ch, r.dialstatus);
    this.signals.amiCall('HangupRequest', ch, [['Cause', r.cause], ['TechCause', r.techCause]]);
    this.signals.amiDial('DialEnd', ch, [['DialStatus', r.dialstatus]]);
    this.destroy(ch, r.cause, r.techCause);
  }

  /** The originate timeout: Asterisk gives up ringing with no hangup request and no final Dial. */
  private noAnswerTimeout(ch: Channel): void {
    if (ch.ending || ch.answeredAt !== null) return;
    ch.ending = true;
    ch.failDisposition = 'NO ANSWER';
    this.destroy(ch, 19, 480);
  }

  // ---------------------------------------------------------------- hang-ups

  /** DELETE /channels/{id}: `cause` is what the channel is destroyed with (reason=normal -> 16). */
  hangup(id: string, cause = 16, requestCause = 32): void {
    const ch = this.state.channels.get(id);
    if (!ch || ch.ending) throw notFound('Channel');
    if (ch.inbound) return this.inbound.hangupByApp(ch, cause, requestCause);
    this.end(ch, { by: 'app', requestCause, cause });
  }

  /** The phone hangs up (scripted or through the control API). */
  farEndHangup(ch: Channel | string): void {
    const c = typeof ch === 'string' ? this.state.channels.get(ch) : ch;
    if (!c || c.ending) throw notFound('Channel');
    if (c.inbound) return this.inbound.callerHangup(c);
    if (c.answeredAt === null) {
      // A phone that hangs up while it rings declines the call.
      this.refuse(c, REFUSALS.reject);
      return;
    }
    this.end(c, { by: 'far-end' });
  }

  /** Everything is hung up as on `core restart now`: soft hangup cause 4, then gone. */
  hangUpAll(): void {
    for (const ch of [...this.state.channels.values()]) {
      if (ch.ending) continue;
      if (ch.inbound) this.inbound.hangupByApp(ch, 16, 4);
      else this.end(ch, { by: 'app', requestCause: 4, cause: 16 });
    }
  }

  /** Stops every channel timer without sending anything (the simulator is closing). */
  halt(): void {
    for (const ch of this.state.channels.values()) {
      ch.destroyed = true;
      this.clock.cancelAll(ch);
    }
  }

  private end(ch: Channel, how: HangupHow): void {
    ch.ending = true;
    if (how.by === 'app') {
      this.signals.toChannel(ch, 'ChannelHangupRequest', { channel: channelJson(ch) }, { cause: how.requestCause, soft: true });
      this.signals.amiCall('SoftHangupRequest', ch, [['Cause', how.requestCause]]);
    } else {
      this.signals.toChannel(ch, 'ChannelHangupRequest', { channel: channelJson(ch) });
      this.signals.amiCall('HangupRequest', ch);
    }
    if (ch.answeredAt === null) {
      this.signals.dial(ch, 'NOANSWER');
      this.signals.amiDial('DialEnd', ch, [['DialStatus', 'NOANSWER']]);
      this.destroy(ch, how.by === 'app' ? how.cause : 16);
      return;
    }
    const wasBridged = ch.bridge !== null;
    if (ch.bridge) this.bridges.leave(ch, ch.bridge);
    this.playbacks.finishAll(ch.playbacks);
    if (ch.inStasis) this.signals.toApp(ch.stasisApp, 'StasisEnd', { channel: channelJson(ch) });
    // A remote BYE outside a bridge carries no cause; inside one the bridge reports normal clearing.
    this.destroy(ch, how.by === 'app' ? how.cause : wasBridged ? 16 : 0);
  }

  private destroy(ch: Channel, cause: number, techCause?: number): void {
    const endAt = Date.now();
    const fields: Record<string, unknown> = { cause, cause_txt: causeText(cause) };
    if (techCause !== undefined) fields.tech_cause = techCause;
    fields.channel = channelJson(ch, true);
    this.signals.toChannel(ch, 'ChannelDestroyed', fields);
    const hangupExtra: AmiFields = [['Cause', cause], ['Cause-txt', causeText(cause)]];
    this.signals.amiCall('Hangup', ch, techCause !== undefined ? [...hangupExtra, ['TechCause', techCause]] : hangupExtra);
    this.signals.ami(() => cdrEvent(ch, endAt, this.cdrMappings));
    this.phoneLog.ended(ch.id, cause, endAt);
    ch.deviceLeg?.ended(cause);
    ch.destroyed = true;
    ch.inStasis = false;
    ch.stasisApp = '';
    this.clock.cancelAll(ch);
    for (const pb of ch.playbacks) this.playbacks.drop(pb);
    ch.playbacks = [];
    this.state.channels.delete(ch.id);
    if (ch.state === 'Ringing') this.endpoints.countUse(ch.device, -1, 0);
    else if (ch.state === 'Up') this.endpoints.countUse(ch.device, 0, -1);
  }
}
