import Router from 'koa-router';
import { z } from 'zod';
import type { Pool } from '../platform/db/pool.ts';
import { withTransaction } from '../platform/db/pool.ts';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { redirectWithFlash, takeFlash } from '../auth/session.ts';
import { NotFoundError } from '../platform/errors.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { listDepartments } from '../subscribers/subscriber.repository.ts';
import {
  findTeamAgent, insertTeamAgent, listTeam, setOwnAgentActive, setOwnAgentDepartments, setOwnAgentPassword, type TeamAgent,
} from '../agents/agent.repository.ts';
import { agentPasswordHash, agentTaken, list, parse, parseNewAgent, type Body } from '../agents/agent-form.ts';
import { portalNav } from '../web/portal-nav.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';

const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;
const uuid = z.string().uuid();

/**
 * /portal/team: a subscriber's own agents. It creates agents (owned by it and assigned to it only), disables
 * and enables them, sets their passwords and picks which of its departments each answers. Agents of the
 * operator's pool assigned to it are listed read only. Every lookup is within the session's subscriber: any
 * other agent id is a 404, like an unknown one. Validation is the operator's (src/agents/agent-form.ts), but a
 * subscriber names no endpoint: its agents answer in the browser on their own softphone, and only the operator
 * gives one a desk phone (/admin/agents).
 */
export function portalTeamRoutes(deps: {
  pool: Pool; render: Render; changed: (slug: string) => void;
  /** Withdraws an agent's softphone when its sessions end (disabled, new password): src/agents/agent-session.ts. */
  withdrawSoftphone: (agentId: string) => Promise<void>;
}): Router<AppState, {}> {
  const { pool } = deps;
  const router = new Router<AppState, {}>({ prefix: '/portal/team' });
  router.use(requireSubscriber(pool));
  router.use(verifyCsrf());

  function page(ctx: AppContext, view: string, data: Record<string, unknown>): void {
    const flash = takeFlash(ctx);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render(`portal/${view}`, { csrf: csrfToken(ctx), flash, portalNav: portalNav('/portal/team', csrfToken(ctx)), ...data });
  }
  const done = redirectWithFlash;
  /** The agent of this subscriber's team named in the URL; owned ones only when `own` (others are not its to change). */
  async function teamAgent(ctx: AppContext, subscriberId: string, own: boolean): Promise<TeamAgent> {
    const agent = await findTeamAgent(pool, subscriberId, ctx.params.id ?? '');
    if (!agent || (own && !agent.own)) throw new NotFoundError('agent_not_found', own && agent ? 'This agent belongs to your operator; ask them to change it.' : 'No agent of yours with that id.');
    return agent;
  }

  router.get('/', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const [agents, departments] = await Promise.all([listTeam(pool, s.id), listDepartments(pool, s.id)]);
    const names = new Map(departments.map((d) => [d.id, d.name]));
    page(ctx, 'team', {
      title: 'Team',
      agents: agents.map((a) => ({ ...a, departmentNames: a.departmentIds.map((id) => names.get(id)).filter(Boolean) })),
    });
  });

  router.post('/', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    // No endpoint from a subscriber: its agent answers on the softphone Beckon makes for it (insertTeamAgent).
    const input = await parseNewAgent(bodyOf(ctx), { by: 'subscriber' });
    const agent = await withTransaction(pool, (tx) => insertTeamAgent(tx, s.id, input)).catch(agentTaken);
    deps.changed(s.slug);
    done(ctx, `/portal/team/${agent.id}`, `Agent ${agent.name} created. They log in at /agent with login ${agent.login}.`);
  });

  router.get('/:id', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const agent = await teamAgent(ctx, s.id, false);
    const chosen = new Set(agent.departmentIds);
    const departments = (await listDepartments(pool, s.id)).map((d) => ({ id: d.id, name: d.name, assigned: chosen.has(d.id) }));
    page(ctx, 'team-agent', { title: agent.name, agent, departments, readOnly: !agent.own });
  });

  router.post('/:id/active', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const agent = await teamAgent(ctx, s.id, true);
    const active = parse(z.enum(['on', 'off']), bodyOf(ctx).active) === 'on';
    // Enabling again may find its desk phone given to another agent since (one agent per phone): a 409.
    await setOwnAgentActive(pool, s.id, agent.id, active).catch(agentTaken);
    // Disabling ends the agent's sessions (agent.repository.ts), and the softphone they were issued with them.
    if (!active) await deps.withdrawSoftphone(agent.id);
    deps.changed(s.slug);
    done(ctx, `/portal/team/${agent.id}`, active ? `${agent.name} can log in and take calls again.` : `${agent.name} is disabled and logged out: no login, no calls.`);
  });

  router.post('/:id/password', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const agent = await teamAgent(ctx, s.id, true);
    await setOwnAgentPassword(pool, s.id, agent.id, await agentPasswordHash(bodyOf(ctx).password));
    // Every session of the agent ended with the new password: so does the softphone they were issued.
    await deps.withdrawSoftphone(agent.id);
    done(ctx, `/portal/team/${agent.id}`, `New password set for ${agent.name}. Their open sessions are logged out.`);
  });

  router.post('/:id/departments', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const agent = await teamAgent(ctx, s.id, true);
    const ids = list(bodyOf(ctx).departmentIds).filter((x) => uuid.safeParse(x).success);
    await withTransaction(pool, (tx) => setOwnAgentDepartments(tx, s.id, agent.id, ids));
    deps.changed(s.slug);
    done(ctx, `/portal/team/${agent.id}`, 'Departments saved.');
  });

  return router;
}
