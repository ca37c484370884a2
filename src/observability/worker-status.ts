import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.ts';
import type { AmiAdapter, AmiEvent } from '../telephony/ami-adapter.ts';
import type { TelephonyPort } from '../telephony/telephony-port.ts';
import { amiReconnects, ariReconnects } from '../platform/metrics.ts';
import { startHeartbeat } from './worker-heartbeat.ts';

const MAX_PEERS = 200;

/**
 * Follows a worker's connections (ARI reconnects, AMI session, trunk/peer states seen on AMI), counts the
 * reconnects as metrics, and publishes the picture as a heartbeat for the operator console.
 */
export function startWorkerStatus(d: {
  redis: Redis; prefix: string; workerId: string; ariUrl: string; amiHost: string; amiPort: number;
  port: TelephonyPort; ami: AmiAdapter; activeCalls: () => number; log: Logger; intervalMs?: number;
}): { stop(): Promise<void> } {
  let ariUp = true;
  let ariReconnectCount = 0;
  const peers: Record<string, { status: string; at: string }> = {};
  d.port.onEvent((e) => {
    if (e.type === 'connection.lost') ariUp = false;
    if (e.type === 'connection.restored') { ariUp = true; ariReconnectCount++; ariReconnects.inc(); }
  });
  d.ami.on('connected', () => { if (d.ami.reconnects > 0) amiReconnects.inc(); });
  const onAmi = (e: AmiEvent) => {
    let name: string | undefined;
    let status: string | undefined;
    if (e.event === 'PeerStatus') { name = e.peer; status = e.peerstatus; }
    else if (e.event === 'ContactStatus') { name = e.aor ?? e.uri; status = e.contactstatus; }
    else if (e.event === 'DeviceStateChange') { name = e.device; status = e.state; }
    if (!name || !status) return;
    if (!(name in peers) && Object.keys(peers).length >= MAX_PEERS) return;
    peers[name] = { status: String(status), at: new Date().toISOString() };
  };
  d.ami.on('event', onAmi);
  const beat = startHeartbeat(d.redis, d.prefix, () => ({
    workerId: d.workerId, pid: process.pid, at: new Date().toISOString(),
    ari: { url: d.ariUrl, connected: ariUp, reconnects: ariReconnectCount },
    ami: { host: d.amiHost, port: d.amiPort, connected: d.ami.connected, reconnects: d.ami.reconnects },
    activeCalls: d.activeCalls(), peers,
  }), d.log, d.intervalMs);
  return {
    async stop() { d.ami.off('event', onAmi); await beat.stop(); },
  };
}
