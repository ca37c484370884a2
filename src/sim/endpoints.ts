import { parseBehavior, type PhoneBehavior } from './phone-rules.ts';

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
