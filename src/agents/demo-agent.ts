import type { Pool } from '../platform/db/pool.ts';
import { hashPassword } from '../auth/password.ts';
import { insertAgent, setAssignments } from './agent.repository.ts';

/** The demo's agent: log in at /agent/login with these; the simulator's PJSIP/agent1 answers. */
export const DEMO_AGENT = { login: 'agent1', password: 'demo-agent-password', name: 'Demo Agent', endpoint: 'PJSIP/agent1' } as const;

/**
 * Seeds one agent assigned to the demo subscriber, Away, so the demo's own-phone routing is unchanged until
 * the operator (or the demo user) switches the subscriber to agents at /admin/agents.
 */
export async function seedDemoAgent(pool: Pool, subscriberId: string): Promise<void> {
  const a = await insertAgent(pool, {
    name: DEMO_AGENT.name, login: DEMO_AGENT.login, endpoint: DEMO_AGENT.endpoint, passwordHash: await hashPassword(DEMO_AGENT.password),
  }).catch(() => null);
  if (a) await setAssignments(pool, a.id, [subscriberId], []);
}
