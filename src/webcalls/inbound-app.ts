import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import { periodic } from '../platform/periodic.ts';
import { waitAtMost } from '../platform/wait-at-most.ts';
import type { TelephonyEvent, TelephonyPort } from '../telephony/telephony-port.ts';
import { transitionRequest } from '../requests/callback.repository.ts';
import { redeemTicket } from './ticket.repository.ts';
import { TICKET_EXPIRED } from './ticket-expiry.ts';
import { holdLease, leastBusyWorker, releaseLease } from './inbound-lease.repository.ts';

/** The first Stasis argument of a web call: the dialplan's `Stasis(<ARI_APP>-inbound,webcall,<ticket>)`. */
export const WEBCALL_ARG = 'webcall';

/** What the holder needs of the worker it runs in. */
export interface InboundAppDeps {
  pool: Pool;
  log: Logger;
  workerId: string;
  /** The shared inbound app (`<ARI_APP>-inbound`) and the Stasis app of a worker (`<ARI_APP>-<WORKER_ID>`). */
  inboundApp: string;
  workerApp: (workerId: string) => string;
  /**
   * The Asterisk node this worker serves (default 'default'). Each node has its own inbound app, so one worker of
   * each node holds it (the lease is per node) and moves its calls only to workers of that node.
   */
  node?: string;
  /** Opens a socket for the inbound app (a second ARI connection of this worker); connected when it resolves. */
  openInbound: () => Promise<TelephonyPort>;
  /** Runs a web call here, in whichever app its channel is (the move failed): see Dialer.startWebCall. */
  runHere: (requestId: string, channelId: string) => Promise<unknown>;
  /** Events of a channel run here while it stays in the inbound app, handed to the calls room. */
  route: (e: TelephonyEvent) => void;
  /** How long this worker has watched PostgreSQL without a gap (worker-liveness.ts): it may take an expired lease only after a full lease of it. */
  watchedMs: () => number;
  leaseTtlMs?: number;
  renewMs?: number;
  /** A worker counts as alive for the choice of worker while its heartbeat is this recent. */
  liveWithinMs?: number;
}

/**
 * The shared inbound Stasis app, held by exactly one worker at a time. Asterisk gives an app to its newest socket
 * (the older gets ApplicationReplaced and nothing more), so the holder is chosen by a lease in PostgreSQL
 * (inbound-lease.repository.ts), renewed every `renewMs`; when its holder stops renewing (dead, cut off from
 * PostgreSQL) another worker that is alive takes it once it expires and opens the socket. A holder that loses
 * the lease, or whose socket another takes over, closes its socket.
 *
 * Every browser's call enters this app with its ticket (StasisStart, args ["webcall", ticket]). The holder redeems
 * the ticket (once, unexpired: ticket.repository.ts); anything else is hung up at once with reason `normal` (the
 * browser gets 603) and the reason is logged. A good ticket's call is moved to the worker with the fewest calls in
 * flight (itself included) with `move?app=<that worker's app>&appArgs=webcall,<requestId>`, where it runs; if the
 * move fails (that app has no socket: ApplicationMoveFailed) the holder runs it itself, in the inbound app. A move
 * is always to a named app, and a web call is never redirected.
 */
export function startInboundApp(d: InboundAppDeps): { stop(): Promise<void>; runOnce(): Promise<boolean>; readonly holding: boolean } {
  const ttlMs = d.leaseTtlMs ?? 15_000;
  const renewMs = d.renewMs ?? 3_000;
  const liveWithinMs = d.liveWithinMs ?? 15_000;
  const node = d.node ?? 'default';
  // The default node's lease keeps the app's own name, so a single-node installation's lease row is unchanged.
  const leaseName = node === 'default' ? d.inboundApp : `${d.inboundApp}@${node}`;
  let socket: TelephonyPort | null = null;
  let opening: Promise<void> | null = null;
  let stopped = false;
  /** Calls moved away and waiting for Asterisk to confirm (a failed move comes back as call.move_failed). */
  const moving = new Map<string, string>();
  /** Channels run here in the inbound app (their move failed): their events go to the calls room. */
  const here = new Set<string>();

  const close = async (why: string) => {
    const s = socket;
    socket = null;
    if (!s) return;
    d.log.info({ app: d.inboundApp, why }, 'inbound web-call app released');
    await s.close().catch(() => {});
  };

  const refuse = async (port: TelephonyPort, channelId: string, reason: string, requestId: string | null) => {
    await port.hangup(channelId, 'normal').catch((err: Error) => d.log.warn({ channelId, err: err.message }, 'refused web call not hung up'));
    d.log.warn({ channelId, reason, requestId }, 'web call refused: ticket not redeemed');
  };

  const arrived = async (port: TelephonyPort, channelId: string, args: string[]) => {
    if (args[0] !== WEBCALL_ARG) return refuse(port, channelId, 'not a web call', null);
    const redeemed = await redeemTicket(d.pool, args[1] ?? '');
    if (!redeemed.ok) {
      await refuse(port, channelId, `ticket ${redeemed.reason}`, redeemed.requestId);
      if (redeemed.reason === 'expired' && redeemed.requestId) await transitionRequest(d.pool, redeemed.requestId, ['queued'], 'expired', TICKET_EXPIRED).catch(() => {});
      return;
    }
    const { requestId } = redeemed.ticket;
    const worker = await leastBusyWorker(d.pool, d.workerId, liveWithinMs, node).catch(() => d.workerId);
    moving.set(channelId, requestId);
    try {
      await port.move(channelId, d.workerApp(worker), [WEBCALL_ARG, requestId]);
      d.log.info({ requestId, channelId, worker }, 'web call moved to its worker');
    } catch (err) {
      d.log.warn({ requestId, channelId, worker, err: (err as Error).message }, 'web call not moved; running it here');
      moving.delete(channelId);
      await runHere(requestId, channelId);
    }
  };

  const runHere = async (requestId: string, channelId: string) => {
    here.add(channelId);
    await d.runHere(requestId, channelId).catch((err: Error) => d.log.error({ requestId, channelId, err: err.message }, 'web call not started'));
  };

  const onEvent = (port: TelephonyPort) => (e: TelephonyEvent) => {
    if (port !== socket) return;
    if (e.type === 'app.replaced') { void close('another socket took the inbound app over'); return; }
    const channelId = 'channelId' in e ? e.channelId : null;
    if (channelId && here.has(channelId)) {
      if (e.type === 'call.left' || e.type === 'call.ended') here.delete(channelId);
      d.route(e);
      return;
    }
    if (e.type === 'call.answered') {
      void arrived(port, e.channelId, e.args).catch(async (err: Error) => {
        d.log.error({ channelId: e.channelId, err: err.message }, 'web call could not be handled; hanging up');
        await port.hangup(e.channelId, 'normal').catch(() => {});
      });
      return;
    }
    if (e.type === 'call.move_failed') {
      const requestId = moving.get(e.channelId);
      moving.delete(e.channelId);
      if (requestId) {
        d.log.warn({ requestId, channelId: e.channelId, destination: e.destination }, 'web call move failed; running it here');
        void runHere(requestId, e.channelId);
      }
      return;
    }
    if (e.type === 'call.left') moving.delete(e.channelId);
  };

  const open = async () => {
    const port = await d.openInbound();
    if (stopped) { await port.close(); return; }
    socket = port;
    port.onEvent(onEvent(port));
    d.log.info({ app: d.inboundApp, workerId: d.workerId }, 'inbound web-call app held');
  };

  const pass = async (): Promise<boolean> => {
    if (stopped) return false;
    const held = await holdLease(d.pool, leaseName, d.workerId, ttlMs, d.watchedMs() >= ttlMs).catch((err: Error) => {
      d.log.warn({ err: err.message }, 'inbound app lease not renewed');
      return null;
    });
    // PostgreSQL unreachable: keep what we have until the lease would have expired for the others too.
    if (held === null) return socket !== null;
    if (!held) { await close('the lease is held by another worker'); return false; }
    if (!socket && !opening) {
      opening = open().catch((err: Error) => d.log.warn({ err: err.message }, 'inbound app socket not opened')).finally(() => { opening = null; });
      await opening;
    }
    return socket !== null;
  };

  const loop = periodic({ name: 'inbound-app-lease', intervalMs: renewMs, run: pass, log: d.log, idle: false, firstDelayMs: 0, failMessage: 'inbound app lease pass failed' });
  return {
    get holding() { return socket !== null; },
    runOnce: () => loop.runOnce(),
    async stop() {
      stopped = true;
      loop.stop();
      // A socket still opening closes itself once open (open() checks `stopped`); stopping does not wait for it long.
      if (opening) await waitAtMost(opening, 2000);
      const had = socket !== null;
      await close('worker stopping');
      if (had) await releaseLease(d.pool, leaseName, d.workerId).catch(() => {});
    },
  };
}

/**
 * A worker's own app: a web call moved here arrives with StasisStart args ["webcall", requestId] and runs here.
 * Returns whether the event was such an arrival.
 */
export function webCallArrival(e: TelephonyEvent): { requestId: string; channelId: string } | null {
  if (e.type !== 'call.answered' || e.args[0] !== WEBCALL_ARG) return null;
  const requestId = e.args[1] ?? '';
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(requestId) ? { requestId, channelId: e.channelId } : null;
}
