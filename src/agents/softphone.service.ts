import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import { ConflictError, UnavailableError } from '../platform/errors.ts';
import { findAgent } from './agent.repository.ts';
import { agentDevices, answerInBrowser, answerOnDeskPhone } from './softphone.repository.ts';
import { credentialsFor, newSipPassword, softphoneEndpoint, softphoneObjects, type PjsipObject, type SoftphoneCredentials } from './softphone.ts';

/** Where the softphone's objects go: Asterisk's ARI push configuration (AriHttp.call in production). */
export interface PushConfig {
  call(method: string, path: string, query?: Record<string, string>, body?: unknown): Promise<unknown>;
}

/** What a session keeps of the credentials it was issued (the session store is server-side: Redis). */
export interface SessionSoftphone { endpoint: string; password: string }

/**
 * Issues and withdraws the console softphone's SIP credentials. The password lives in the agent's session (and in
 * Asterisk's memory), nowhere else: PostgreSQL only records which device the agent answers on. Every issue and
 * every withdrawal pushes a new random password, so whatever an older session held registers nothing more; a
 * browser already registered stays so until it registers again (JsSIP does every few minutes) or closes.
 */
export class SoftphoneService {
  constructor(private readonly deps: { pool: Pool; ari: PushConfig; log: Logger; wsUrl: string; iceServers: unknown[] }) {}

  /** The agent chose "Answer in the browser": new credentials, pushed, and offers ring the softphone from now on. */
  async issue(agentId: string): Promise<{ session: SessionSoftphone; credentials: SoftphoneCredentials }> {
    const agent = await findAgent(this.deps.pool, agentId);
    const devices = await agentDevices(this.deps.pool, agentId);
    if (!agent || !devices) throw new ConflictError('no_such_agent', 'No such agent.');
    // The agent's own softphone (or its operator-declared webagentN): never an endpoint another agent answers on.
    const endpoint = softphoneEndpoint({ id: agent.id, endpoint: devices.configured, ownerSubscriberId: devices.ownerSubscriberId });
    const password = newSipPassword();
    await this.push(softphoneObjects(endpoint, password)).catch((err) => {
      this.deps.log.warn({ agentId, endpoint: endpoint.name, err: (err as Error).message }, 'softphone credentials not pushed');
      throw new UnavailableError('The phone system cannot be reached. Try again.', 'softphone_unavailable');
    });
    if (!(await answerInBrowser(this.deps.pool, agentId, endpoint.device))) {
      throw new ConflictError('on_a_call', 'Finish the call in hand before changing phones.');
    }
    this.deps.log.info({ agentId, endpoint: endpoint.name }, 'agent answers in the browser');
    return { session: { endpoint: endpoint.name, password }, credentials: credentialsFor(endpoint.name, password, this.deps.wsUrl, this.deps.iceServers) };
  }

  /** The credentials a session was issued, to hand to its console script. */
  credentials(s: SessionSoftphone): SoftphoneCredentials {
    return credentialsFor(s.endpoint, s.password, this.deps.wsUrl, this.deps.iceServers);
  }

  /**
   * The session ends (logout, a new login) or the agent chose the desk phone: the softphone's password is replaced
   * by one nobody holds, and offers ring the configured phone again. Does nothing for an agent on a desk phone. A
   * push that fails is logged and the next login or logout tries again (the device changes back regardless).
   */
  async withdraw(agentId: string): Promise<void> {
    const left = await answerOnDeskPhone(this.deps.pool, agentId);
    if (!left) return;
    const name = left.replace(/^PJSIP\//i, '');
    const auth = softphoneObjects({ name, declared: true }, newSipPassword());
    await this.push(auth).catch((err) => this.deps.log.warn({ agentId, endpoint: name, err: (err as Error).message }, 'softphone password not rotated'));
    this.deps.log.info({ agentId, endpoint: name }, 'agent answers on the desk phone');
  }

  private async push(objects: PjsipObject[]): Promise<void> {
    for (const o of objects) {
      await this.deps.ari.call('PUT', `/asterisk/config/dynamic/res_pjsip/${o.type}/${encodeURIComponent(o.id)}`, undefined, { fields: o.fields });
    }
  }
}
