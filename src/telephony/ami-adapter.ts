import { EventEmitter } from 'node:events';
import AsteriskManager from 'asterisk-manager';
import type { Logger } from '../platform/logger.ts';

export interface AmiOptions {
  host: string;
  port: number;
  user: string;
  secret: string;
  log: Logger;
  /** How long a login may take before it counts as refused; default 5000 ms. */
  loginTimeoutMs?: number;
  /** First reconnect delay, doubled after every failure up to maxBackoffMs; default 500 ms. */
  minBackoffMs?: number;
  /** Longest reconnect delay; default 30000 ms. */
  maxBackoffMs?: number;
}

/** An AMI event as asterisk-manager gives it: every key lower-cased (event, uniqueid, disposition, ...). */
export type AmiEvent = Record<string, any> & { event: string };

export class AmiLoginError extends Error {}

/**
 * The events the worker reads: Cdr (accounting), DeviceStateChange, ContactStatus and PeerStatus (agents'
 * phones, worker status). Asterisk sends every event of the user's read classes (manager.conf) unless the
 * session adds filters, and a call makes a dozen or more (Newchannel, Newstate, DialBegin, Hangup, Bridge*,
 * ...) that asterisk-manager would parse for nothing: without filters they are most of what the worker reads
 * on AMI. Each name is a legacy filter ("Event: Cdr"), the form every Asterisk since 1.8 accepts.
 */
export const AMI_EVENTS_READ = ['Cdr', 'DeviceStateChange', 'ContactStatus', 'PeerStatus'] as const;

/**
 * The worker's AMI session (device states for agents, CDRs for accounting). asterisk-manager's own
 * reconnect logs to the console and never reports a refused login (Asterisk just closes the socket), so
 * this adapter owns the lifecycle: a fresh manager per connection, a login deadline, back-off reconnects.
 * Emits 'event' (AmiEvent), 'connected', 'disconnected'.
 */
export class AmiAdapter extends EventEmitter {
  private manager: any = null;
  private closing = false;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private isUp = false;
  /** How many times a lost session was established again (exported as a metric). */
  reconnects = 0;
  private everConnected = false;

  constructor(private readonly opts: AmiOptions) {
    super();
    this.backoffMs = opts.minBackoffMs ?? 500;
    // 'error' without a listener would throw; connection failures are reported through connect()/logs.
    this.on('error', () => {});
  }

  get connected(): boolean { return this.isUp; }

  /** First connection: resolves once logged in, rejects with a clear message otherwise (no retry). */
  async connect(): Promise<void> {
    this.closing = false;
    await this.open();
  }

  private open(): Promise<void> {
    const { host, port, user, secret, log } = this.opts;
    const timeoutMs = this.opts.loginTimeoutMs ?? 5000;
    return new Promise<void>((resolve, reject) => {
      const m = AsteriskManager(undefined, host, user, secret, true);
      this.manager = m;
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try { m.disconnect(); } catch { /* already gone */ }
        if (this.manager === m) this.manager = null;
        reject(new AmiLoginError(`AMI ${host}:${port}: ${why}`));
      };
      const timer = setTimeout(() => fail(`login not accepted within ${timeoutMs} ms (check AMI_USER/AMI_SECRET and manager.conf)`), timeoutMs);
      m.on('error', (err: Error) => {
        if (!settled) fail(`${err.message} (is Asterisk running and AMI_HOST/AMI_PORT right?)`);
        else log.warn({ err: err.message }, 'AMI socket error');
      });
      m.on('close', () => {
        if (!settled) return fail('connection closed during login (wrong AMI_USER/AMI_SECRET?)');
        if (this.manager !== m) return;
        this.manager = null;
        this.lost();
      });
      m.on('managerevent', (evt: AmiEvent) => this.emit('event', evt));
      m.connect(port, host, (err: Error | null) => {
        if (err) return fail(err.message);
        m.login((loginErr: any) => {
          if (loginErr) return fail(`login refused: ${loginErr.message ?? 'Authentication failed'} (check AMI_USER/AMI_SECRET)`);
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.isUp = true;
          this.backoffMs = this.opts.minBackoffMs ?? 500;
          if (this.everConnected) { this.reconnects++; log.info('AMI reconnected'); }
          this.everConnected = true;
          // 'connected' once the filters hold, so a DeviceStateList asked then is answered on a quiet session.
          void this.addFilters(m).then(() => {
            if (this.manager === m) this.emit('connected');
            resolve();
          });
        });
      });
    });
  }

  /**
   * Asks for AMI_EVENTS_READ only. A refusal (a manager.conf user without the `system` write class) is not
   * fatal: the session then reads every event of its classes, as it would without filters.
   */
  private async addFilters(m: any): Promise<void> {
    const results = await Promise.allSettled(AMI_EVENTS_READ.map((name) => this.action({ action: 'Filter', operation: 'Add', filter: `Event: ${name}` })));
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused && this.manager === m) this.opts.log.warn({ err: (refused.reason as Error).message }, 'AMI event filter not accepted; reading every event of the allowed classes');
  }

  private lost(): void {
    const wasUp = this.isUp;
    this.isUp = false;
    if (wasUp) {
      this.opts.log.warn('AMI connection lost; reconnecting');
      this.emit('disconnected');
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closing || this.retryTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 30000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closing) return;
      this.open().catch((err: Error) => {
        this.opts.log.warn({ err: err.message, retryInMs: this.backoffMs }, 'AMI reconnect failed');
        this.scheduleRetry();
      });
    }, delay);
    this.retryTimer.unref();
  }

  /** Sends one action; resolves with Asterisk's response, rejects on `Response: Error` or after timeoutMs. */
  action(fields: Record<string, string | number>, timeoutMs = 5000): Promise<Record<string, any>> {
    const m = this.manager;
    if (!m || !this.isUp) return Promise.reject(new Error('AMI not connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`AMI action ${fields.action} timed out`)), timeoutMs);
      m.action({ ...fields }, (err: any, res: Record<string, any>) => {
        clearTimeout(timer);
        if (err) reject(new Error(String(err.message ?? 'AMI error')));
        else resolve(res);
      });
    });
  }

  close(): void {
    this.closing = true;
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = null; }
    const m = this.manager;
    this.manager = null;
    const wasUp = this.isUp;
    this.isUp = false;
    try { m?.disconnect(); } catch { /* already closed */ }
    if (wasUp) this.emit('disconnected');
  }
}
