import type { Logger } from 'pino';
import { Bridges } from './bridges.ts';
import type { CdrMappings } from './cdr.ts';
import { ChannelControls } from './channel-controls.ts';
import { Channels } from './channels.ts';
import { Clock } from './clock.ts';
import { Endpoints } from './endpoints.ts';
import { Keypad } from './keypad.ts';
import { BootCounters } from './originate.ts';
import { ExchangeState } from './model.ts';
import { PhoneBook } from './phone-rules.ts';
import { PhoneLog } from './phone-log.ts';
import { Playbacks } from './playbacks.ts';
import { Signals } from './signals.ts';
import type { AmiSink, AriSink } from './sinks.ts';
import { InboundCalls } from './web-calls.ts';
import type { MediaSession } from './webrtc-media.ts';

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
  /** the Stasis app the web-call dialplan (context from-web, exten callback) hands calls to */
  inboundApp: string;
}

/**
 * The simulated telephone exchange: channels, bridges, playbacks and endpoints over one shared state, scripted
 * phones behind them, and the ARI and AMI events a real Asterisk 22 sends for them, in the order the traces show.
 */
export class Exchange {
  readonly state = new ExchangeState();
  readonly phoneBook = new PhoneBook();
  /** what each phone rang, heard and pressed (kept after the call for the demo's phone page and tests) */
  readonly phoneLog = new PhoneLog();
  readonly endpoints: Endpoints;
  readonly playbacks: Playbacks;
  readonly bridges: Bridges;
  readonly channels: Channels;
  readonly controls: ChannelControls;
  /** calls that come in through the dialplan: browsers calling the anonymous WebRTC endpoint */
  readonly inbound: InboundCalls;
  private readonly counters = new BootCounters();
  /** the media of browser calls by channel id: bridged browsers hear each other through it */
  readonly browserMedia = new Map<string, MediaSession>();

  constructor(opts: ExchangeOptions) {
    const { state, phoneLog } = this;
    const clock = new Clock(opts.timeScale);
    const signals = new Signals(opts.asteriskId, opts.ari, opts.ami);
    const keypad = new Keypad(clock, signals, phoneLog);
    this.endpoints = new Endpoints(state, signals, this.phoneBook);
    this.playbacks = new Playbacks(state, clock, signals, keypad, phoneLog, opts.indications);
    this.bridges = new Bridges(state, signals, this.playbacks, phoneLog);
    const { counters } = this;
    this.inbound = new InboundCalls({
      state, clock, signals, counters, phoneLog, bridges: this.bridges, playbacks: this.playbacks,
      cdrMappings: opts.cdrMappings, inboundApp: opts.inboundApp,
    });
    this.channels = new Channels({
      state, clock, signals, keypad, phoneLog, counters, inbound: this.inbound,
      endpoints: this.endpoints, bridges: this.bridges, playbacks: this.playbacks,
      logger: opts.logger, cdrMappings: opts.cdrMappings,
    });
    this.controls = new ChannelControls(state, signals, phoneLog, this.inbound);
  }

  /** `core restart now`: every channel hung up (soft hangup cause 4), bridge playbacks failed, nothing left. */
  shutdown(): void {
    this.channels.hangUpAll();
    this.bridges.shutdown();
    this.state.playbacks.clear();
    this.endpoints.forgetUse();
    this.inbound.forgetUse();
  }

  /** A fresh boot: counters start again and ids are Asterisk's epoch-based defaults again. */
  boot(): void {
    this.counters.reset();
  }

  /** Stops every timer without sending anything (the simulator is closing). */
  halt(): void {
    this.channels.halt();
    this.playbacks.halt();
    this.state.clear();
    this.endpoints.forgetUse();
    this.inbound.forgetUse();
  }
}
