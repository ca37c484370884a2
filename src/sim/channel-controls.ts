import { AriError } from './ari-error.ts';
import { channelJson } from './ari-snapshots.ts';
import { readVariable, writeVariable } from './channel-variables.ts';
import type { ExchangeState } from './model.ts';
import type { PhoneLog } from './phone-log.ts';
import type { Signals } from './signals.ts';
import type { InboundCalls } from './web-calls.ts';
import { pjsipHeaderName } from './web-dialplan.ts';

/** What an app does to a channel besides playing and bridging it: music on hold, mute, variables, DTMF. */
export class ChannelControls {
  constructor(
    private readonly state: ExchangeState,
    private readonly signals: Signals,
    private readonly phoneLog: PhoneLog,
    private readonly inbound: InboundCalls,
  ) {}

  /** Outbound channels enter Stasis already answered; a call that came in is answered now. */
  answer(id: string): void {
    const ch = this.state.stasisChannel(id);
    if (ch.inbound) this.inbound.answer(ch);
  }

  /** POST rings the caller of a call that came in (180); DELETE and outbound channels change nothing seen. */
  ring(id: string, on = true): void {
    const ch = this.state.stasisChannel(id);
    if (on && ch.inbound) this.inbound.ring(ch);
  }

  /** DTMF the app sends towards the phone: nothing observable happens in the traces. */
  sendDtmf(id: string, dtmf: string | undefined): void {
    this.state.stasisChannel(id);
    if (!dtmf) throw new AriError(400, { message: 'DTMF is required' });
  }

  startMoh(id: string, mohClass = 'default'): void {
    const ch = this.state.stasisChannel(id);
    ch.moh = true;
    this.signals.amiCall('MusicOnHoldStart', ch, [['Class', mohClass]]);
    this.phoneLog.music(ch.id, mohClass);
  }

  stopMoh(id: string): void {
    const ch = this.state.stasisChannel(id);
    if (!ch.moh) throw new AriError(409, { message: "Channel isn't playing music" });
    ch.moh = false;
    this.signals.amiCall('MusicOnHoldStop', ch);
  }

  /**
   * Mute / unmute (traces/hold-moh-transfer): 204 either way, unmuting what is not muted too; no ARI or AMI event;
   * a direction other than in, out or both is 400.
   */
  mute(id: string, direction: string | undefined, on: boolean): void {
    const dir = direction ?? 'both';
    if (dir !== 'in' && dir !== 'out' && dir !== 'both') throw new AriError(400, { message: 'Invalid direction specified' });
    const ch = this.state.stasisChannel(id);
    if (dir !== 'out') ch.muted.in = on;
    if (dir !== 'in') ch.muted.out = on;
  }

  /**
   * POST /channels/{id}/move (channel-move trace): 204, then StasisEnd to the app the channel leaves and StasisStart
   * with `appArgs` to `app` (a bridged channel stays in its bridge, and StasisStart comes first). An `app` with no
   * WebSocket: 204 anyway, then ApplicationMoveFailed on the app the channel stays in. Without `app` Asterisk
   * 22.10.1 crashes; the simulator answers 400 instead so a client that sends it fails its test.
   */
  move(id: string, app: string | undefined, appArgs: string | undefined): void {
    if (!app) throw new AriError(400, { message: 'Missing parameter app' });
    const ch = this.state.stasisChannel(id);
    const args = appArgs ? appArgs.split(',') : [];
    if (!this.signals.live(app)) {
      const from = ch.stasisApp;
      // After the 204: Asterisk tries the move on the channel's own thread.
      setImmediate(() => {
        if (ch.destroyed || ch.stasisApp !== from) return;
        this.signals.toApp(from, 'ApplicationMoveFailed', { channel: channelJson(ch), destination: app, args });
      });
      return;
    }
    const from = ch.stasisApp;
    const leave = () => this.signals.toApp(from, 'StasisEnd', { channel: channelJson(ch) });
    const enter = () => this.signals.toApp(app, 'StasisStart', { args, channel: channelJson(ch) });
    if (ch.bridge) {
      enter();
      leave();
    } else {
      leave();
      enter();
    }
    ch.stasisApp = app;
    ch.bridge?.apps.add(app);
  }

  getVariable(id: string, name: string | undefined): string {
    const ch = this.state.channel(id);
    const header = pjsipHeaderName(requireName(name));
    if (header !== null) {
      // A header the INVITE did not carry (or a channel no INVITE made) cannot be read (webrtc-edge trace).
      const value = ch.inbound?.headers.get(header.toLowerCase());
      if (value === undefined) throw new AriError(500, { message: 'Unable to read provided function' });
      return value;
    }
    const v = readVariable(ch, requireName(name));
    if (v === undefined) throw new AriError(404, { message: 'Provided variable was not found' });
    return v;
  }

  setVariable(id: string, name: string | undefined, value: string): void {
    const ch = this.state.channel(id);
    writeVariable(ch, requireName(name), value);
  }
}

function requireName(name: string | undefined): string {
  if (!name) throw new AriError(400, { message: 'Variable name is required' });
  return name;
}
