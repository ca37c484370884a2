import { amiChannelFields, type AmiFields } from './ami-format.ts';
import { channelJson } from './ari-snapshots.ts';
import type { Bridge, Channel } from './model.ts';
import type { AmiSink, AriSink } from './sinks.ts';
import { ariTime } from './time-format.ts';

/**
 * The ARI and AMI events every resource of the exchange sends, shaped as Asterisk 22 shapes them. AMI fields
 * are built only while someone listens; a channel's ARI events reach only the app it was originated into.
 */
export class Signals {
  constructor(
    private readonly asteriskId: string,
    private readonly ari: AriSink,
    private readonly amiSink: AmiSink,
  ) {}

  /** `lead` fields go before `type`, as Asterisk writes ChannelHangupRequest's cause first. */
  event(type: string, fields: Record<string, unknown>, lead?: Record<string, unknown>): Record<string, unknown> {
    return { ...lead, type, timestamp: ariTime(Date.now()), ...fields, asterisk_id: this.asteriskId };
  }

  toApps(apps: Iterable<string>, type: string, fields: Record<string, unknown>): void {
    this.ari.publish(apps, this.event(type, fields));
  }

  /** To the app the channel was originated into and the app it is in now (once each). */
  toChannel(ch: Channel, type: string, fields: Record<string, unknown>, lead?: Record<string, unknown>): void {
    const apps = channelApps(ch);
    if (apps.length) this.ari.publish(apps, this.event(type, fields, lead));
  }

  /** StasisStart, StasisEnd, ApplicationMoveFailed: only to the one app the channel enters, leaves or is in. */
  toApp(app: string, type: string, fields: Record<string, unknown>): void {
    if (app) this.ari.publish([app], this.event(type, fields));
  }

  /** To every app subscribed to the bridge, and to `extraApps` (the apps of a channel joining or leaving it). */
  toBridge(b: Bridge, extraApps: readonly string[], type: string, fields: Record<string, unknown>): void {
    const apps = new Set(b.apps);
    for (const a of extraApps) apps.add(a);
    if (apps.size) this.ari.publish(apps, this.event(type, fields));
  }

  /** The Dial event of an originated channel; `dialstatus` '' is the dial starting. */
  dial(ch: Channel, dialstatus: string): void {
    this.toChannel(ch, 'Dial', { dialstatus, forward: '', dialstring: ch.dialstring, peer: channelJson(ch) });
  }

  ami(build: () => AmiFields): void {
    if (this.amiSink.listening) this.amiSink.send(build());
  }

  amiCall(event: string, ch: Channel, extra: AmiFields = []): void {
    this.ami(() => [['Event', event], ['Privilege', 'call,all'], ...amiChannelFields(ch), ...extra]);
  }

  amiDial(event: 'DialBegin' | 'DialEnd', ch: Channel, extra: AmiFields): void {
    this.ami(() => [['Event', event], ['Privilege', 'call,all'], ...amiChannelFields(ch, 'Dest'), ...extra]);
  }

  /** The app has an open WebSocket (Asterisk hands answered channels only to such an app). */
  live(app: string): boolean {
    return this.ari.live(app);
  }

  endpointSubscribers(device: string): string[] {
    return this.ari.endpointSubscribers(device);
  }
}

/** The apps that get a channel's events: the one it was originated into and the one it is in now. */
export function channelApps(ch: Channel): string[] {
  if (!ch.stasisApp || ch.stasisApp === ch.app) return ch.app ? [ch.app] : [];
  return ch.app ? [ch.app, ch.stasisApp] : [ch.stasisApp];
}
