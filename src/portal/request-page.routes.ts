import Router from 'koa-router';
import type { Pool } from '../platform/db/pool.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';
import { NotFoundError } from '../platform/errors.ts';
import type { AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { csrfToken } from '../auth/csrf.ts';
import { findRequestOfSubscriber, listStatusHistory } from '../requests/callback.repository.ts';
import { listAttemptDetails } from '../calls/attempt.repository.ts';
import { requestAgentHistory } from '../agents/agent.repository.ts';
import { listCallRecordsOfRequest } from '../accounting/accounting.repository.ts';
import { portalNav } from '../web/portal-nav.ts';
import { requestDetailView } from './request-detail.ts';
import { requestTranscripts } from '../chat/transcript.ts';

/**
 * /portal/requests/:id — one request as the owner needs it. Looked up within the session's subscriber only:
 * another subscriber's id, like an unknown one, is a 404. Each table is read through its owner module.
 */
export function portalRequestPageRoutes(deps: { pool: Pool; render: Render; currency: string }): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.use(requireSubscriber(deps.pool));

  router.get('/portal/requests/:id', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    const request = await findRequestOfSubscriber(deps.pool, s.id, ctx.params.id!);
    if (!request) throw new NotFoundError('callback_not_found', 'No call-back request with that id.');
    const [history, attempts, agents, records] = await Promise.all([
      listStatusHistory(deps.pool, request.id),
      listAttemptDetails(deps.pool, request.id),
      requestAgentHistory(deps.pool, request.id),
      listCallRecordsOfRequest(deps.pool, s.id, request.id),
    ]);
    const chats = await requestTranscripts(deps.pool, request.id, s.timezone);
    const view = requestDetailView({ request, history, attempts, ...agents, records, timezone: s.timezone, currency: deps.currency });
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('portal/request', {
      title: `Request from ${request.visitorName || request.phoneE164}`, portalNav: portalNav('/portal/requests', csrfToken(ctx)),
      csrf: csrfToken(ctx), timezone: s.timezone, r: view, chats,
    });
  });
  return router;
}
