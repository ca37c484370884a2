import Router from 'koa-router';
import { z } from 'zod';
import type { Pool } from '../platform/db/pool.ts';
import { verifyCsrf } from '../auth/csrf.ts';
import { requireOperator } from '../admin/operator-session.ts';
import { redirectWithFlash } from '../auth/session.ts';
import { BadRequestError, NotFoundError } from '../platform/errors.ts';
import { renderAdminPage } from '../admin/admin-page.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import { setDepartmentAnsweredBy, setSubscriberAgentRouting } from '../subscribers/subscriber.repository.ts';
import {
  assignedDepartmentIds, assignedSubscriberIds, findAgent, insertAgent, listAgents, listSubscribersForRouting,
  agentNode, agentOwnerId, setAgentNode, setAssignments, updateAgent,
} from './agent.repository.ts';
import { agentRoutingFrom } from './routing.ts';
import { AgentForm, AgentNode, agentEndpoint, agentPasswordHash, agentTaken, list, parse, parseNewAgent, words, type Body } from './agent-form.ts';
import { trunkDevice } from './device-state.ts';

const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;
const RoutingForm = z.object({
  answeredBy: z.enum(['phone', 'agents']),
  mode: z.enum(['agent_first', 'customer_first']),
  waitSec: z.coerce.number().int().min(0).max(86400),
  fallback: z.enum(['phone', 'reschedule']),
});
const uuid = z.string().uuid();
const noSuchAgent = () => new NotFoundError('not_found', 'No such agent.');

/**
 * Operator pages for agents: create, edit, assign to subscribers/departments, and who answers each subscriber.
 * `trunkEndpoint` is TRUNK_ENDPOINT: its endpoint is never an agent's phone.
 */
export function agentAdminRoutes(deps: {
  pool: Pool; render: Render; subscribers: SubscriberCache; trunkEndpoint: string;
  /** Withdraws an agent's softphone when its sessions end (disabled, new password): agent-session.ts. */
  withdrawSoftphone: (agentId: string) => Promise<void>;
}): Router<AppState, {}> {
  const { pool } = deps;
  const trunk = trunkDevice(deps.trunkEndpoint);
  const router = new Router<AppState, {}>({ prefix: '/admin/agents' });
  router.use(requireOperator(pool));
  router.use(verifyCsrf());

  const page = (ctx: AppContext, view: string, data: Record<string, unknown>) => renderAdminPage(ctx, deps.render, view, data);
  const done = (ctx: AppContext, flash: string, to: string) => redirectWithFlash(ctx, to, flash);

  router.get('/', async (ctx) => {
    const subscribers = (await listSubscribersForRouting(pool)).map((s) => ({ ...s, routing: agentRoutingFrom(s.settings, null) }));
    page(ctx, 'admin/agents', { title: 'Agents', agents: await listAgents(pool), subscribers });
  });

  router.post('/', async (ctx) => {
    const agent = await insertAgent(pool, await parseNewAgent(bodyOf(ctx), { by: 'operator', trunk })).catch(agentTaken);
    done(ctx, `Agent ${agent.name} created. Assign subscribers below.`, `/admin/agents/${agent.id}`);
  });

  router.get('/:id', async (ctx) => {
    const agent = await findAgent(pool, ctx.params.id!);
    if (!agent) throw noSuchAgent();
    const subs = new Set(await assignedSubscriberIds(pool, agent.id));
    const depts = new Set(await assignedDepartmentIds(pool, agent.id));
    const subscribers = (await listSubscribersForRouting(pool)).map((s) => ({
      ...s, assigned: subs.has(s.id), departments: s.departments.map((d) => ({ ...d, assigned: depts.has(d.id) })),
    }));
    page(ctx, 'admin/agents-edit', {
      title: agent.name, agent, skills: agent.skills.join(', '), languages: agent.languages.join(', '), subscribers, node: await agentNode(pool, agent.id),
    });
  });

  router.post('/:id', async (ctx) => {
    const agent = await findAgent(pool, ctx.params.id!);
    if (!agent) throw noSuchAgent();
    const body = bodyOf(ctx);
    const f = parse(AgentForm, body);
    const endpoint = agentEndpoint(f.endpoint, { id: agent.id, owned: (await agentOwnerId(pool, agent.id)) !== null }, trunk);
    const node = body.asteriskNode === undefined ? undefined : parse(AgentNode, body.asteriskNode);
    const passwordHash = typeof body.password === 'string' && body.password !== '' ? await agentPasswordHash(body.password) : null;
    const { sessionsEnded } = await updateAgent(pool, agent.id, {
      name: f.name, endpoint, skills: words(body.skills), languages: words(body.languages),
      wrapUpSec: typeof f.wrapUpSec === 'number' ? f.wrapUpSec : null, autoAnswer: body.autoAnswer === 'on', passwordHash,
      active: body.active === 'on',
    }).catch(agentTaken);
    // Disabled or given a new password: its sessions are over, and the softphone they were issued with them.
    if (sessionsEnded) await deps.withdrawSoftphone(agent.id);
    if (node !== undefined) await setAgentNode(pool, agent.id, node || null);
    done(ctx, 'Agent saved.', `/admin/agents/${agent.id}`);
  });

  router.post('/:id/assignments', async (ctx) => {
    const agent = await findAgent(pool, ctx.params.id!);
    if (!agent) throw noSuchAgent();
    const body = bodyOf(ctx);
    const subscriberIds = list(body.subscriberIds).filter((x) => uuid.safeParse(x).success);
    const departmentIds = list(body.departmentIds).filter((x) => uuid.safeParse(x).success);
    await setAssignments(pool, agent.id, subscriberIds, departmentIds);
    done(ctx, 'Assignments saved.', `/admin/agents/${agent.id}`);
  });

  router.post('/routing/:subscriberId', async (ctx) => {
    const id = parse(uuid, ctx.params.subscriberId);
    const f = parse(RoutingForm, bodyOf(ctx));
    await setSubscriberAgentRouting(pool, id, f);
    deps.subscribers.invalidate();
    done(ctx, 'Routing saved.', '/admin/agents');
  });

  router.post('/departments/:departmentId', async (ctx) => {
    const id = parse(uuid, ctx.params.departmentId);
    const answeredBy = parse(z.enum(['phone', 'agents']), bodyOf(ctx).answeredBy);
    const ok = await setDepartmentAnsweredBy(pool, id, answeredBy);
    if (!ok) throw new BadRequestError('invalid_input', 'A department without its own phone can only be answered by agents.');
    deps.subscribers.invalidate();
    done(ctx, 'Department saved.', '/admin/agents');
  });

  return router;
}
