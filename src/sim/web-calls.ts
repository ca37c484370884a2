import { amiChannelFields, type AmiFields } from './ami-format.ts';
import { channelJson } from './ari-snapshots.ts';
import type { Bridges } from './bridges.ts';
import { causeText } from './causes.ts';
import { cdrEvent, type CdrMappings } from './cdr.ts';
import type { Clock } from './clock.ts';
import type { CallerLeg, Channel, ExchangeState } from './model.ts';
import { newChannel, type BootCounters } from './originate.ts';
import type { PhoneLog } from './phone-log.ts';
import type { Playbacks } from './playbacks.ts';
import type { Signals } from './signals.ts';
import { routeFromWeb } from './web-dialplan.ts';

/** A call arriving on the anonymous WebRTC endpoint (a browser's INVITE, or a test through /sim/webcalls). */
export interface IncomingWebCall {
  /** the Request-URI's user: the extension dialed in context from-web */
  exten: string;
  /** the From display name and user: the channel's caller id */
  callerName: string;
  callerNumber: string;
  /** the SIP Call-ID: the channel's protocol_id */
  callId: string;
  /** the INVITE's headers by lower-cased name */
  headers: Map<string, string>;
  caller: CallerLeg;
}

/** The channel that entered Stasis, or the final response the caller got at once (no such extension, no app). */
export type WebCallArrival = { channelId: string } | { refused: number };

export interface InboundCallsDeps {
  state: ExchangeState;
  clock: Clock;
  signals: Signals;
  counters: BootCounters;
  bridges: Bridges;
  playbacks: Playbacks;
  phoneLog: PhoneLog;
  cdrMappings: CdrMappings;
  /** the Stasis app `from-web`'s `callback` extension hands calls to, e.g. beckon-inbound */
  inboundApp: string;
}

const ANONYMOUS = 'anonymous';
const DEVICE = `PJSIP/${ANONYMOUS}`;

/**
 * Calls that come in through the dialplan: the browser calls the anonymous endpoint, context from-web sends it to
 * Stasis(<inbound app>,webcall,<ticket>). As recorded on Asterisk 22.10.1 (webrtc-inbound, webrtc-ari-hangup,
 * webrtc-edge traces): StasisStart in state Ring with no ChannelCreated; the caller hears nothing but 100 Trying
 * until the app rings (180), plays (183, early media) or answers (200); such a channel leaves the app at StasisEnd
 * and never sends ChannelDestroyed; its device PJSIP/anonymous is INUSE from the first ring, play or answer and
 * UNAVAILABLE once the last such call ends.
 */
export class InboundCalls {
  private readonly d: InboundCallsDeps;
  /** calls that rang, played or answered and have not ended: the device's state follows them */
  private alerted = 0;

  constructor(deps: InboundCallsDeps) {
    this.d = deps;
  }

  get inboundApp(): string {
    return this.d.inboundApp;
  }

  arrive(call: IncomingWebCall): WebCallArrival {
    const { state, signals, counters } = this.d;
    const route = routeFromWeb(call.exten, call.headers, this.d.inboundApp);
    if (!route) return { refused: 404 };
    const now = Date.now();
    const id = counters.uniqueId();
    const ch = newChannel({
      id,
      name: counters.channelName(ANONYMOUS),
      caller: { name: call.callerName, number: call.callerNumber },
      originator: undefined,
      variables: undefined,
      now,
      cdrSequence: counters.cdrSequence(),
      app: '',
      appArgs: '',
      resource: ANONYMOUS,
      dialstring: '',
      behavior: { kind: 'noanswer' },
    });
    ch.state = 'Ring';
    ch.protocolId = call.callId;
    ch.connected = { name: '', number: '' };
    ch.inbound = { context: route.context, exten: route.exten, appData: route.appData, headers: call.headers, caller: call.caller, alerted: false, held: false };
    state.channels.set(id, ch);
    this.d.phoneLog.open({
      channelId: id, endpoint: DEVICE, number: null, device: ANONYMOUS, callerId: `"${call.callerName}" <${call.callerNumber}>`,
      startedAt: now, autoAnswer: false, ticket: route.args[1] ?? '', sip: [],
    });
    this.d.phoneLog.ringing(id);
    signals.ami(() => [['Event', 'Newchannel'], ['Privilege', 'call,all'], ...amiChannelFields(ch)]);
    if (!signals.live(route.app)) {
      // Stasis() of an app with no WebSocket returns at once and the dialplan's Hangup() declines the call.
      ch.ending = true;
      call.caller.hungUp(16, false);
      signals.amiCall('SoftHangupRequest', ch, [['Cause', 16]]);
      this.gone(ch, 16);
      return { refused: 603 };
    }
    ch.inStasis = true;
    ch.stasisApp = route.app;
    signals.toApp(route.app, 'StasisStart', { args: route.args, channel: channelJson(ch) });
    return { channelId: id };
  }

  /** POST /channels/{id}/ring: 180 to the caller; the state stays Ring. */
  ring(ch: Channel): void {
    if (!ch.inbound || ch.answeredAt !== null) return;
    if (!ch.inbound.alerted) ch.inbound.caller.ringing();
    this.alert(ch);
  }

  /** Something plays to a channel not yet answered: 183 Session Progress with SDP, and the caller hears it. */
  earlyMedia(ch: Channel): void {
    if (!ch.inbound || ch.answeredAt !== null) return;
    ch.inbound.caller.earlyMedia();
    this.alert(ch);
  }

  /** POST /channels/{id}/answer: ChannelStateChange Up before the 204, then 200 OK to the caller. */
  answer(ch: Channel): void {
    if (!ch.inbound || ch.answeredAt !== null) return;
    ch.state = 'Up';
    ch.answeredAt = Date.now();
    this.d.signals.toChannel(ch, 'ChannelStateChange', { channel: channelJson(ch) });
    this.d.signals.amiCall('Newstate', ch);
    this.alert(ch);
    this.d.phoneLog.answered(ch.id, ch.answeredAt);
    ch.inbound.caller.answered();
  }

  /**
   * The caller puts the call on hold (re-INVITE with `a=sendonly`) or takes it off: ChannelHold {musicclass} /
   * ChannelUnhold, and the parties bridged with it hear music on hold meanwhile (webrtc-inbound trace).
   */
  hold(ch: Channel, on: boolean): void {
    const { signals, state } = this.d;
    if (ch.ending || ch.answeredAt === null || !ch.inbound || ch.inbound.held === on) return;
    ch.inbound.held = on;
    const others = (ch.bridge?.channels ?? []).filter((id) => id !== ch.id).map((id) => state.channels.get(id)).filter((c) => !!c);
    if (on) {
      signals.amiCall('Hold', ch, [['MusicClass', 'default']]);
      for (const other of others) {
        other.moh = true;
        signals.amiCall('MusicOnHoldStart', other, [['Class', 'default']]);
        this.d.phoneLog.music(other.id, 'default');
      }
      signals.toChannel(ch, 'ChannelHold', { musicclass: 'default', channel: channelJson(ch) });
    } else {
      signals.toChannel(ch, 'ChannelUnhold', { channel: channelJson(ch) });
      signals.amiCall('Unhold', ch);
      for (const other of others) {
        other.moh = false;
        signals.amiCall('MusicOnHoldStop', other);
      }
    }
  }

  /**
   * The app hangs the call up (DELETE /channels/{id}): ChannelHangupRequest cause 32 (soft), the bridge left,
   * StasisEnd; the caller gets the final response for `cause` (603/486/503/480) or, answered, a BYE.
   */
  hangupByApp(ch: Channel, cause: number, requestCause = 32): void {
    const { signals } = this.d;
    ch.ending = true;
    signals.toChannel(ch, 'ChannelHangupRequest', { channel: channelJson(ch) }, { cause: requestCause, soft: true });
    signals.amiCall('SoftHangupRequest', ch, [['Cause', requestCause]]);
    signals.amiCall('SoftHangupRequest', ch, [['Cause', 16]]);
    this.leaveApp(ch);
    ch.inbound?.caller.hungUp(cause, ch.answeredAt !== null);
    this.gone(ch, cause);
  }

  /**
   * The caller hangs up: a BYE on an answered call (ChannelHangupRequest with no cause, AMI cause 16) or a CANCEL
   * before the answer (cause 127, tech_cause 487). The caller's own side (200 to BYE, 487) is its business.
   */
  callerHangup(ch: Channel): void {
    const { signals } = this.d;
    ch.ending = true;
    if (ch.answeredAt !== null) {
      signals.amiCall('HangupRequest', ch);
      signals.toChannel(ch, 'ChannelHangupRequest', { channel: channelJson(ch) });
      signals.amiCall('SoftHangupRequest', ch, [['Cause', 16]]);
      this.leaveApp(ch);
      this.gone(ch, 16);
      return;
    }
    signals.amiCall('HangupRequest', ch, [['Cause', 127]]);
    signals.toChannel(ch, 'ChannelHangupRequest', { channel: channelJson(ch) }, { cause: 127, tech_cause: 487 });
    this.leaveApp(ch);
    signals.amiCall('SoftHangupRequest', ch, [['Cause', 16]]);
    this.gone(ch, 127);
  }

  /** Bridge left, playbacks cut, StasisEnd: after it the app hears nothing more of the channel. */
  private leaveApp(ch: Channel): void {
    if (ch.bridge) this.d.bridges.leave(ch, ch.bridge);
    this.d.playbacks.finishAll(ch.playbacks);
    if (ch.inStasis) this.d.signals.toApp(ch.stasisApp, 'StasisEnd', { channel: channelJson(ch) });
    ch.inStasis = false;
    ch.stasisApp = '';
  }

  /** The channel is gone: AMI Hangup and Cdr, no ChannelDestroyed (a dialplan channel left its app at StasisEnd). */
  private gone(ch: Channel, cause: number): void {
    const { signals, state, clock } = this.d;
    const endAt = Date.now();
    const hangup: AmiFields = [['Cause', cause], ['Cause-txt', causeText(cause)]];
    signals.amiCall('Hangup', ch, hangup);
    signals.ami(() => cdrEvent(ch, endAt, this.d.cdrMappings));
    if (ch.inbound?.alerted) {
      ch.inbound.alerted = false;
      this.alerted -= 1;
      if (this.alerted === 0) this.deviceState('UNAVAILABLE');
    }
    this.d.phoneLog.ended(ch.id, cause, endAt);
    ch.destroyed = true;
    clock.cancelAll(ch);
    for (const pb of ch.playbacks) this.d.playbacks.drop(pb);
    ch.playbacks = [];
    state.channels.delete(ch.id);
  }

  private alert(ch: Channel): void {
    if (!ch.inbound || ch.inbound.alerted) return;
    ch.inbound.alerted = true;
    this.alerted += 1;
    if (this.alerted === 1) this.deviceState('INUSE');
  }

  private deviceState(state: string): void {
    this.d.signals.ami(() => [['Event', 'DeviceStateChange'], ['Privilege', 'call,all'], ['Device', DEVICE], ['State', state]]);
  }

  /** A restart or close forgets every in-use count. */
  forgetUse(): void {
    this.alerted = 0;
  }
}
