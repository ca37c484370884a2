import type { EventEmitter } from 'node:events';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import { setDeviceState } from './agent.repository.ts';

/** An AMI event as asterisk-manager gives it (keys lower-cased). */
type AmiEvent = Record<string, unknown> & { event?: string };

/**
 * Pure: what an AMI event says about a device's state. DeviceStateChange carries it directly; a contact or
 * peer going unreachable means UNAVAILABLE at once (Asterisk follows with a DeviceStateChange of its own, the
 * simulator too, but the order differs between versions). Reachable again is left to DeviceStateChange, which
 * knows whether the phone is also in use.
 */
export function deviceUpdateFromAmi(e: AmiEvent): { device: string; state: string } | null {
  const name = String(e.event ?? '').toLowerCase();
  if (name === 'devicestatechange' && typeof e.device === 'string' && typeof e.state === 'string') {
    return { device: e.device, state: e.state.toUpperCase() };
  }
  if (name === 'contactstatus') {
    const status = String(e.contactstatus ?? '').toLowerCase();
    const aor = typeof e.aor === 'string' ? e.aor : typeof e.endpointname === 'string' ? e.endpointname : null;
    if (aor && (status === 'unreachable' || status === 'removed')) return { device: `PJSIP/${aor}`, state: 'UNAVAILABLE' };
    return null;
  }
  if (name === 'peerstatus' && typeof e.peer === 'string') {
    const status = String(e.peerstatus ?? '').toLowerCase();
    if (status === 'unreachable' || status === 'unregistered' || status === 'rejected') return { device: e.peer, state: 'UNAVAILABLE' };
  }
  return null;
}

/**
 * The device Asterisk reports for calls through the trunk ('PJSIP/{number}@carrier' -> 'PJSIP/carrier',
 * 'SIP/carrier/{number}' -> 'SIP/carrier'); null when the template has another shape. Every call's visitor leg
 * changes its state, and it is never an agent's phone.
 */
export function trunkDevice(template: string): string | null {
  const m = /^([A-Za-z0-9_]+)\/\{number\}@([^/@{}]+)$/.exec(template) ?? /^([A-Za-z0-9_]+)\/([^/@{}]+)\/\{number\}$/.exec(template);
  return m ? `${m[1]}/${m[2]}` : null;
}

export interface AmiSource extends EventEmitter {
  action?(fields: Record<string, string | number>): Promise<unknown>;
}

/**
 * Keeps agents.device_state in step with AMI, so the reservation (in PostgreSQL, shared by all workers) never
 * offers a call to an unregistered or busy phone. Updates for one device are applied in arrival order.
 */
export class DeviceStateTracker {
  private chains = new Map<string, Promise<void>>();
  private detach: (() => void) | null = null;

  private readonly ignored: Set<string>;

  /** `ignore`: devices that are never agents' phones (the trunk): their states are not stored, which saves a statement per change. */
  constructor(private readonly deps: {
    pool: Pool; log: Logger; onChange?: (agentIds: string[], state: string) => void; ignore?: readonly string[];
    /** The node whose AMI this is: it speaks for agents on that node or on any. */
    node?: string;
  }) {
    this.ignored = new Set((deps.ignore ?? []).map((d) => d.toLowerCase()));
  }

  attach(ami: AmiSource): void {
    const onEvent = (e: AmiEvent) => {
      const u = deviceUpdateFromAmi(e);
      if (u && !this.ignored.has(u.device.toLowerCase())) void this.apply(u.device, u.state);
    };
    // After (re)connecting, ask for every device's state: changes during the gap were lost.
    const sync = () => { void ami.action?.({ action: 'DeviceStateList' }).catch(() => {}); };
    ami.on('event', onEvent);
    ami.on('connected', sync);
    sync();
    this.detach = () => { ami.off('event', onEvent); ami.off('connected', sync); };
  }

  apply(device: string, state: string): Promise<void> {
    const key = device.toLowerCase();
    const next = (this.chains.get(key) ?? Promise.resolve()).then(async () => {
      const changed = await setDeviceState(this.deps.pool, device, state, this.deps.node ?? null);
      if (changed.length) {
        this.deps.log.info({ device, state, agents: changed.length }, 'agent device state');
        this.deps.onChange?.(changed, state);
      }
    }).catch((err) => this.deps.log.warn({ err: (err as Error).message, device }, 'device state not stored'));
    this.chains.set(key, next);
    void next.then(() => { if (this.chains.get(key) === next) this.chains.delete(key); });
    return next;
  }

  stop(): void { this.detach?.(); this.detach = null; }
}
