import { randomUUID } from 'node:crypto';
import { amiChannelFields } from './ami-format.ts';
import { AriError } from './ari-error.ts';
import { bridgeJson, channelJson } from './ari-snapshots.ts';
import type { Bridge, Channel, ExchangeState } from './model.ts';
import type { PhoneLog } from './phone-log.ts';
import type { Playbacks } from './playbacks.ts';
import { channelApps, type Signals } from './signals.ts';
import { ariTime } from './time-format.ts';

/**
 * Stasis bridges: mixing (the parties talk) or holding. A bridge's events reach every app whose channel has
 * been in it; AMI sees BridgeCreate/Enter/Leave/Destroy with the bridge's current technology.
 */
export class Bridges {
  constructor(
    private readonly state: ExchangeState,
    private readonly signals: Signals,
    private readonly playbacks: Playbacks,
    private readonly phoneLog: PhoneLog,
  ) {}

  /** POST /bridges: an id that exists already answers that bridge unchanged. */
  create(type: string | undefined, name: string | undefined, bridgeId: string | undefined): Record<string, unknown> {
    const id = bridgeId || randomUUID();
    const existing = this.state.bridges.get(id);
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
    this.state.bridges.set(id, b);
    this.amiBridge('BridgeCreate', b);
    return bridgeJson(b);
  }

  /** Channels in another bridge move over (leaving it first); one already in this bridge stays. */
  add(bridgeId: string, channelIds: string[]): void {
    const b = this.state.bridge(bridgeId);
    const chans = this.named(channelIds, (ch) => {
      if (!ch || ch.ending) throw new AriError(400, { message: 'Channel not found' });
      if (!ch.inStasis) throw new AriError(422, { message: 'Channel not in Stasis application' });
      return ch;
    });
    for (const ch of chans) {
      if (ch.bridge === b) continue;
      if (ch.bridge) this.leave(ch, ch.bridge);
      this.enter(ch, b);
    }
  }

  remove(bridgeId: string, channelIds: string[]): void {
    const b = this.state.bridge(bridgeId);
    const chans = this.named(channelIds, (ch) => {
      if (!ch) throw new AriError(400, { message: 'Channel not found' });
      if (ch.bridge !== b) throw new AriError(422, { message: 'Channel not in this bridge' });
      return ch;
    });
    for (const ch of chans) this.leave(ch, b);
  }

  /** Every channel is checked before any moves, so a refused request changes nothing. */
  private named(channelIds: string[], check: (ch: Channel | undefined) => Channel): Channel[] {
    if (channelIds.length === 0) throw new AriError(400, { message: 'Channel must be specified' });
    return channelIds.map((cid) => check(this.state.channels.get(cid)));
  }

  destroy(id: string): void {
    const b = this.state.bridge(id);
    for (const cid of [...b.channels]) {
      const ch = this.state.channels.get(cid);
      if (ch) this.leave(ch, b);
    }
    this.playbacks.finishAll(b.playbacks);
    this.state.bridges.delete(id);
    this.signals.toBridge(b, [], 'BridgeDestroyed', { bridge: bridgeJson(b) });
    this.amiBridge('BridgeDestroy', b);
  }

  /**
   * Bridge music comes from a hidden announcer channel that joins the bridge; a lone caller then
   * "talks to" the announcer, whose caller id is empty, and gets a ChannelConnectedLine for it.
   */
  startMoh(id: string): void {
    const b = this.state.bridge(id);
    if (b.moh) return;
    b.moh = true;
    for (const id of b.channels) this.phoneLog.music(id, 'default');
    if (b.channels.length !== 1) return;
    const ch = this.state.channels.get(b.channels[0]!);
    if (!ch || (ch.connected.name === '' && ch.connected.number === '')) return;
    ch.connected = { name: '', number: '' };
    this.signals.toChannel(ch, 'ChannelConnectedLine', { channel: channelJson(ch) });
  }

  stopMoh(id: string): void {
    const b = this.state.bridge(id);
    if (!b.moh) throw new AriError(409, { message: "Bridge isn't playing music" });
    b.moh = false;
  }

  leave(ch: Channel, b: Bridge): void {
    const i = b.channels.indexOf(ch.id);
    if (i >= 0) b.channels.splice(i, 1);
    ch.bridge = null;
    this.signals.toBridge(b, channelApps(ch), 'ChannelLeftBridge', { bridge: bridgeJson(b), channel: channelJson(ch) });
    this.amiBridge('BridgeLeave', b, ch);
    this.retune(b);
  }

  /** Playbacks still on the bridges end failed and the bridges are gone (the exchange restarts). */
  shutdown(): void {
    for (const b of this.state.bridges.values()) this.playbacks.finishAll(b.playbacks);
    this.state.bridges.clear();
  }

  private enter(ch: Channel, b: Bridge): void {
    b.channels.push(ch.id);
    ch.bridge = b;
    for (const app of channelApps(ch)) b.apps.add(app);
    this.signals.toBridge(b, [], 'ChannelEnteredBridge', { bridge: bridgeJson(b), channel: channelJson(ch) });
    this.amiBridge('BridgeEnter', b, ch);
    this.retune(b);
    if (b.channels.length === 2 && b.bridgeType === 'mixing') {
      const first = this.state.channels.get(b.channels[0]!);
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
      this.signals.toChannel(ch, 'ChannelConnectedLine', { channel: channelJson(ch) });
    }
  }

  /** Two parties make a direct media bridge; one party or a crowd is mixed in software. */
  private retune(b: Bridge): void {
    if (b.bridgeType === 'holding') return;
    const n = b.channels.length;
    b.technology = n === 2 ? 'native_rtp' : n > 2 ? 'softmix' : 'simple_bridge';
  }

  private amiBridge(event: string, b: Bridge, ch?: Channel): void {
    this.signals.ami(() => [
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
}
