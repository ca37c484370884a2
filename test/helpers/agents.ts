import type { Container } from '../../src/main/container.ts';
import type { Agent } from '../../src/agents/agent.types.ts';
import { insertAgent, setAssignments } from '../../src/agents/agent.repository.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { mergeSettings, subscriberId } from './subscribers.ts';
import { webClient } from './web-client.ts';

/**
 * The demo subscriber's calls answered by its agents in `mode` (agent first unless said otherwise): a call waits
 * up to `waitSec` for a free agent, then is rescheduled; one attempt per request. Resolves with the demo's id.
 */
export async function demoAnsweredByAgents(s: { c: Container }, o: { waitSec: number; mode?: 'agent_first' | 'customer_first' }): Promise<string> {
  await mergeSettings(s, { retry: { maxAttempts: 1 }, answeredBy: 'agents', agents: { mode: o.mode ?? 'agent_first', waitSec: o.waitSec, fallback: 'reschedule' } });
  return subscriberId(s);
}

/** One hash per password for the whole file: hashing is slow on purpose. */
const hashes = new Map<string, Promise<string>>();
const hashOf = (password: string) => { if (!hashes.has(password)) hashes.set(password, hashPassword(password)); return hashes.get(password)!; };

export interface NewAgent {
  login: string;
  /** the login when not given */
  name?: string;
  /** PJSIP/<login> when not given */
  endpoint?: string;
  /** a console password; none: the agent cannot log in */
  password?: string;
  autoAnswer?: boolean;
  /** its own wrap-up after a call; AGENT_WRAP_UP_SEC when not given */
  wrapUpSec?: number;
  /** whom it answers for: the demo subscriber when not given */
  subscriberIds?: string[];
}

/** An agent assigned to the demo subscriber (or to `subscriberIds`), away until it or the test says otherwise. */
export async function addAgent(s: { c: Container }, a: NewAgent): Promise<Agent> {
  const agent = await insertAgent(s.c.pool, {
    name: a.name ?? a.login, login: a.login, endpoint: a.endpoint ?? `PJSIP/${a.login}`, autoAnswer: a.autoAnswer, wrapUpSec: a.wrapUpSec ?? null,
    passwordHash: a.password === undefined ? null : await hashOf(a.password),
  });
  await setAssignments(s.c.pool, agent.id, a.subscriberIds ?? [await subscriberId(s)], []);
  return agent;
}

/** A web client logged in to the agent console as `login`, its CSRF token read from the console page. */
export async function agentClient(base: string, login: string, password: string) {
  const c = webClient(base);
  await c.go('/agent/login');
  const r = await c.form('/agent/login', { login, password });
  if (r.status !== 302) throw new Error(`login failed: ${r.status}`);
  await c.go('/agent');
  return c;
}
