import type Koa from 'koa';
import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import type { AppState } from '../web/context.ts';
import { requireRole } from '../auth/require-role.ts';
import { AriHttp, type AriEndpoint } from '../telephony/ari-http.ts';
import { agentSessionIsCurrent } from './agent.repository.ts';
import { SoftphoneService } from './softphone.service.ts';

/**
 * An agent's session, still current: the agent is active, its session generation is the one the session logged in
 * with, and the subscriber owning it (if any) is not suspended. Disabling the agent or setting its password moves
 * the generation on, so a fired agent's cookie, or a stolen one, is worth nothing from that moment: every console
 * and desk request asks, and open event streams ask again at each heartbeat.
 */
export function requireAgent(pool: Pool): Koa.Middleware<AppState> {
  return requireRole('agent', '/agent/login', {
    isCurrent: (user) => agentSessionIsCurrent(pool, user.id, user.gen ?? 0),
  });
}

/**
 * For whoever ends an agent's sessions (disabling it, a new password, suspending its subscriber): the softphone
 * credentials those sessions were issued are replaced at Asterisk by a password nobody holds, and offers ring the
 * desk phone again. A failure is logged, never thrown: the account change stands regardless, and the next login or
 * logout tries again.
 */
export function softphoneWithdrawal(d: { pool: Pool; log: Logger; ari: AriEndpoint }): (agentId: string) => Promise<void> {
  // Withdrawing issues no credentials: the browser's WebSocket address and ICE servers play no part.
  const softphones = new SoftphoneService({ pool: d.pool, ari: new AriHttp(d.ari), log: d.log, wsUrl: '', iceServers: [] });
  return (agentId) => softphones.withdraw(agentId).catch((err) => d.log.warn({ agentId, err: (err as Error).message }, 'softphone not withdrawn'));
}
