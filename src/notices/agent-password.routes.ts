import Router from 'koa-router';
import type { Redis } from 'ioredis';
import type { Pool } from '../platform/db/pool.ts';
import { AppError } from '../platform/errors.ts';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { createAttemptLimiter } from '../auth/login-limiter.ts';
import { passwordProblem } from '../auth/password.ts';
import { agentResetLinkIsLive, resetAgentPassword } from '../auth/password-reset.service.ts';
import { setAgentPassword } from '../agents/agent.repository.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';

export interface AgentPasswordRoutesDeps {
  pool: Pool;
  redis: Redis;
  prefix: string;
  render: Render;
  /** Queues the mail (the worker makes the link); the routes exist only when the installation sends email. */
  passwordMail: (login: string) => Promise<void>;
  /** The new password ends the agent's sessions: the softphone they were issued goes too (src/agents/agent-session.ts). */
  withdrawSoftphone: (agentId: string) => Promise<void>;
}

type Body = Record<string, unknown>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;

/**
 * An agent's forgotten password: /agent/forgot mails a one-time link to an agent whose login is its email
 * address (others are set by whoever manages their team), /agent/reset/:token sets the new password. The answer
 * never says whether such an agent exists; posts are limited per client IP and per login, sharing the owners'
 * counters.
 */
export function agentPasswordRoutes(deps: AgentPasswordRoutesDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>({ prefix: '/agent' });
  const limiter = createAttemptLimiter(deps.redis, deps.prefix, 'forgot', 5);
  const resetLimiter = createAttemptLimiter(deps.redis, deps.prefix, 'reset', 10);
  router.use(verifyCsrf());

  const page = (ctx: AppContext, view: string, data: Record<string, unknown>) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = deps.render(view, { csrf: csrfToken(ctx), ...data });
  };

  router.get('/forgot', (ctx) => page(ctx, 'agent/forgot', { title: 'Forgot password' }));

  router.post('/forgot', async (ctx) => {
    const body = bodyOf(ctx);
    const login = typeof body.login === 'string' ? body.login.trim().toLowerCase().slice(0, 64) : '';
    if (!login) { page(ctx, 'agent/forgot', { title: 'Forgot password', error: 'Enter your login.' }); ctx.status = 400; return; }
    try {
      await limiter.consume(ctx.ip, `agent:${login}`);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      page(ctx, 'agent/forgot', { title: 'Forgot password', values: { login }, error: err.message });
      ctx.status = 429;
      return;
    }
    const queued = await deps.passwordMail(login).then(() => true, () => false);
    if (!queued) { page(ctx, 'agent/forgot', { title: 'Forgot password', values: { login }, error: 'No mail can be sent just now. Try again in a few minutes.' }); ctx.status = 503; return; }
    page(ctx, 'agent/forgot', { title: 'Forgot password', sent: true, values: { login } });
  });

  router.get('/reset/:token', async (ctx) => {
    const live = await agentResetLinkIsLive(deps.pool, ctx.params.token!);
    page(ctx, 'agent/reset', { title: 'Set a new password', token: ctx.params.token, live });
    if (!live) ctx.status = 404;
  });

  router.post('/reset/:token', async (ctx) => {
    const token = ctx.params.token!;
    const body = bodyOf(ctx);
    const password = typeof body.newPassword === 'string' ? body.newPassword : '';
    const show = (data: Record<string, unknown>, status: number) => { page(ctx, 'agent/reset', { title: 'Set a new password', token, live: true, ...data }); ctx.status = status; };
    try {
      await resetLimiter.consume(ctx.ip, token.slice(0, 64));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return show({ error: err.message }, 429);
    }
    const problem = passwordProblem(password);
    if (problem) return show({ error: problem }, 400);
    if (password !== body.confirmPassword) return show({ error: 'The two passwords differ.' }, 400);
    const agentId = await resetAgentPassword(deps.pool, token, password, setAgentPassword);
    if (!agentId) return show({ live: false }, 404);
    await deps.withdrawSoftphone(agentId);
    page(ctx, 'agent/reset', { title: 'Password set', done: true });
  });

  return router;
}
