import { answeredByFromSettings } from './settings.ts';
import type { Department, Subscriber } from './subscriber.types.ts';

/** The agents who can take a subscriber's calls (src/agents/agent.repository.ts agentCoverage). */
export interface AgentCoverage { anyDepartment: boolean; departmentIds: readonly string[] }

/** Why a subscriber or department cannot take a call now, in words the owner can act on; null when it can. */
export type Problem = { what: string; fix: string };

/** Pure: whether a department can take a call, and if not what the owner must do. */
export function departmentProblem(d: Department, agents: AgentCoverage): Problem | null {
  if (d.answeredBy === 'agents') {
    return agents.anyDepartment || agents.departmentIds.includes(d.id) ? null
      : { what: `Department "${d.name}" is answered by agents, but no agent is assigned to it.`, fix: 'Assign an agent to it on the Team page, or let its own phone answer.' };
  }
  return d.phoneVerifiedAt ? null
    : { what: `Department "${d.name}" has no verified phone.`, fix: 'Verify its phone on the Departments page (Beckon calls it and reads a code).' };
}

/** Pure: whether the subscriber itself (no department chosen) can take a call. */
export function ownProblem(s: Subscriber, agents: AgentCoverage): Problem | null {
  if (answeredByFromSettings(s.settings) === 'agents') {
    return agents.anyDepartment || agents.departmentIds.length ? null
      : { what: 'Your calls are answered by agents, but no agent is assigned to you.', fix: 'Add an agent on the Team page (or ask your operator to assign one).' };
  }
  return s.phoneE164 && s.phoneVerifiedAt ? null
    : { what: 'Your phone is not verified yet, so no call can be made.', fix: 'Press "Call me with a code" below: Beckon calls it and reads out a code to type in.' };
}

/**
 * Pure: what visitors may be offered. Misconfigured departments are left out (a visitor choosing one would be
 * refused or never called); `ready` is false when nothing at all can take a call.
 */
export function offerable(s: Subscriber, departments: readonly Department[], agents: AgentCoverage): { departments: Department[]; ready: boolean } {
  const usable = departments.filter((d) => !departmentProblem(d, agents));
  return { departments: usable, ready: !ownProblem(s, agents) || usable.length > 0 };
}

/** Everything the owner should fix, for the portal's overview. */
export function setupProblems(s: Subscriber, departments: readonly Department[], agents: AgentCoverage): Problem[] {
  return [ownProblem(s, agents), ...departments.map((d) => departmentProblem(d, agents))].filter((p): p is Problem => !!p);
}

/**
 * Pure: whether visitors can reach the subscriber now, as the portal tells its owner: the account is active and
 * `offerable` finds something that can take a call (what the widget, the form and the directory show themselves on).
 */
export function isLive(s: Subscriber, departments: readonly Department[], agents: AgentCoverage): boolean {
  return s.status === 'active' && offerable(s, departments, agents).ready;
}
