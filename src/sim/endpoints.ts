import type { AmiFields } from './ami-format.ts';
import { AriError } from './ari-error.ts';
import type { ExchangeState } from './model.ts';
import { parseBehavior, type PhoneBehavior, type PhoneBook } from './phone-rules.ts';
import type { Signals } from './signals.ts';

/** What an originate's `endpoint` parameter points at. */
export type DialTarget =
  | { kind: 'trunk'; tech: 'PJSIP'; trunk: string; number: string; dialstring: string }
  | { kind: 'device'; tech: 'PJSIP'; name: string; dialstring: string };

/**
 * `PJSIP/<number>@<trunk>` goes out through a trunk; `PJSIP/<name>` (optionally followed by
 * `/<contact uri>`) rings a registered device. Any other technology cannot be allocated.
 */
export function parseDialTarget(endpoint: string): DialTarget | null {
  const slash = endpoint.indexOf('/');
  if (slash < 0) return null;
  const tech = endpoint.slice(0, slash);
  const rest = endpoint.slice(slash + 1);
  if (tech.toUpperCase() !== 'PJSIP' || rest === '') return null;
  // A contact URI after the device name (agent1/sip:agent1@host) has an '@' of its own.
  const name = rest.split('/')[0]!;
  const at = name.indexOf('@');
  if (at >= 0) {
    const number = name.slice(0, at);
    const trunk = name.slice(at + 1);
    if (number === '' || trunk === '' || name !== rest) return null;
    return { kind: 'trunk', tech: 'PJSIP', trunk, number, dialstring: rest };
  }
  if (!/^[A-Za-z0-9_.+-]+$/.test(name)) return null;
  return { kind: 'device', tech: 'PJSIP', name, dialstring: rest };
}

export interface DeviceSetting {
  behavior: PhoneBehavior;
  reachable: boolean;
}

/** Agents' phones do not press keys unless told to: they are people, not the scripted visitors. */
const DEFAULT_DEVICES: Record<string, PhoneBehavior> = {
  agent1: { kind: 'answer', pressKey: null },
  agent2: { kind: 'busy' },
  agent3: { kind: 'noanswer' },
};

/**
 * The registered phones (agents, departments). Unknown names answer, so tests can invent
 * agents freely; a test that wants an unknown phone to fail marks it unreachable.
 */
export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceSetting>();

  constructor() {
    this.reset();
  }

  reset(): void {
    this.devices.clear();
    for (const [name, behavior] of Object.entries(DEFAULT_DEVICES)) {
      this.devices.set(name, { behavior, reachable: true });
    }
  }

  get(name: string): DeviceSetting {
    return this.devices.get(name) ?? { behavior: { kind: 'answer', pressKey: null }, reachable: true };
  }

  known(name: string): boolean {
    return this.devices.has(name);
  }

  names(): string[] {
    return [...this.devices.keys()];
  }

  /** Returns the previous and the new setting so the caller can announce reachability changes. */
  set(name: string, change: { behavior?: unknown; reachable?: unknown }): { before: DeviceSetting; after: DeviceSetting } {
    const before = this.get(name);
    const after: DeviceSetting = { ...before };
    if (change.behavior !== undefined) after.behavior = parseBehavior(change.behavior);
    if (change.reachable !== undefined) {
      if (typeof change.reachable !== 'boolean') throw new Error('reachable must be a boolean');
      after.reachable = change.reachable;
    }
    this.devices.set(name, after);
    return { before, after };
  }
}

/** `"Callback Lab" <15550001111>`, `Name <num>` or a bare number. */
export function parseCallerId(callerId: string | undefined): { name: string; number: string } {
  if (!callerId) return { name: '', number: '' };
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(callerId);
  if (m) return { name: (m[1] ?? m[2] ?? '').trim(), number: m[3]!.trim() };
  return { name: '', number: callerId.trim() };
}

/** Calls on one device: how many ring, how many are up, and the state last announced. */
interface DeviceUse { ringing: number; up: number; state: string }

/**
 * The PJSIP endpoints: the trunks and registered devices, which phone an originate reaches, the device states
 * their calls add up to (AMI DeviceStateChange on each change), and reachability as PJSIP qualify reports it.
 */
export class Endpoints {
  readonly devices = new DeviceRegistry();
  readonly trunks = new Set<string>(['carrier']);
  private readonly use = new Map<string, DeviceUse>();

  constructor(
    private readonly state: ExchangeState,
    private readonly signals: Signals,
    private readonly phoneBook: PhoneBook,
  ) {}

  /**
   * The phone an originate to `target` reaches and how it behaves. Qualified contacts that stopped answering
   * make PJSIP refuse the channel outright; a trunk is known from its first call on.
   */
  reach(target: DialTarget): { behavior: PhoneBehavior; resource: string } {
    if (target.kind === 'device') {
      const setting = this.devices.get(target.name);
      if (!setting.reachable) throw new AriError(500, { error: 'Allocation failed' });
      return { behavior: setting.behavior, resource: target.name };
    }
    const behavior = this.phoneBook.behaviorFor(target.number);
    this.trunks.add(target.trunk);
    return { behavior, resource: target.trunk };
  }

  /** A call on `device` starts or stops ringing (±1) or being up (±1). */
  countUse(device: string, ringing: number, up: number): void {
    let use = this.use.get(device);
    if (!use) {
      use = { ringing: 0, up: 0, state: 'NOT_INUSE' };
      this.use.set(device, use);
    }
    use.ringing += ringing;
    use.up += up;
    const state =
      use.up > 0 ? (use.ringing > 0 ? 'RINGINUSE' : 'INUSE') : use.ringing > 0 ? 'RINGING' : 'NOT_INUSE';
    if (state !== use.state) {
      use.state = state;
      this.amiDeviceState(device, state);
    }
    if (state === 'NOT_INUSE') this.use.delete(device);
  }

  /** No call is counted any more (the exchange restarts or closes). */
  forgetUse(): void {
    this.use.clear();
  }

  private amiDeviceState(device: string, state: string): void {
    this.signals.ami(() => [['Event', 'DeviceStateChange'], ['Privilege', 'call,all'], ['Device', device], ['State', state]]);
  }

  deviceState(name: string): string {
    if (this.devices.known(name) && !this.devices.get(name).reachable) return 'UNAVAILABLE';
    return this.use.get(`PJSIP/${name}`)?.state ?? 'NOT_INUSE';
  }

  /** Current device states, as AMI DeviceStateList would report them. */
  deviceStates(): Array<[string, string]> {
    const out = new Map<string, string>();
    for (const name of this.devices.names()) out.set(`PJSIP/${name}`, this.deviceState(name));
    for (const [device, use] of this.use) out.set(device, use.state);
    return [...out];
  }

  /** Reachability changes are announced the way PJSIP qualify reports them. */
  set(name: string, change: { behavior?: unknown; reachable?: unknown }): void {
    const res = name.replace(/^PJSIP\//i, '');
    const { before, after } = this.devices.set(res, change);
    if (before.reachable === after.reachable) return;
    const device = `PJSIP/${res}`;
    const uri = `sip:${res}@127.0.0.1:5060`;
    const status = after.reachable ? 'Reachable' : 'Unreachable';
    const peer: AmiFields = [['Event', 'PeerStatus'], ['Privilege', 'system,all'], ['ChannelType', 'PJSIP'], ['Peer', device], ['PeerStatus', status]];
    const contact: AmiFields = [
      ['Event', 'ContactStatus'],
      ['Privilege', 'system,all'],
      ['URI', uri],
      ['ContactStatus', status],
      ['AOR', res],
      ['EndpointName', res],
      ['RoundtripUsec', after.reachable ? 503 : 0],
    ];
    this.signals.ami(() => peer);
    // Back in reach: the device state comes between PeerStatus and ContactStatus; out of reach: after both.
    if (after.reachable) {
      this.amiDeviceState(device, this.deviceState(res));
      this.signals.ami(() => contact);
    } else {
      this.signals.ami(() => contact);
      this.amiDeviceState(device, 'UNAVAILABLE');
    }
    const apps = this.signals.endpointSubscribers(device);
    if (apps.length) {
      const endpoint = this.json(res);
      this.signals.toApps(apps, 'EndpointStateChange', { endpoint });
      this.signals.toApps(apps, 'PeerStatusChange', { endpoint, peer: { peer_status: status } });
      this.signals.toApps(apps, 'ContactStatusChange', {
        endpoint,
        contact_info: { uri, contact_status: status, aor: res, roundtrip_usec: after.reachable ? '503' : '0' },
      });
    }
  }

  json(resource: string): Record<string, unknown> {
    const reachable = this.trunks.has(resource) || this.devices.get(resource).reachable;
    const ids: string[] = [];
    for (const ch of this.state.channels.values()) if (ch.endpointResource === resource) ids.push(ch.id);
    return { technology: 'PJSIP', resource, state: reachable ? 'online' : 'offline', channel_ids: ids };
  }

  names(): string[] {
    return [...new Set([...this.devices.names(), ...this.trunks])].sort();
  }

  exists(resource: string): boolean {
    return this.trunks.has(resource) || this.devices.known(resource);
  }
}
