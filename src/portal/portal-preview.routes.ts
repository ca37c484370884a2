import Router from 'koa-router';
import type { Pool } from '../platform/db/pool.ts';
import { csrfToken } from '../auth/csrf.ts';
import { NotFoundError } from '../platform/errors.ts';
import type { AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { previewPath } from '../directory/preview-page.ts';
import { listDepartments } from '../subscribers/subscriber.repository.ts';
import { isLive } from '../subscribers/offerable.ts';
import { agentCoverage } from '../agents/agent.repository.ts';
import { portalNav } from '../web/portal-nav.ts';
import { snippetFor } from './portal.routes.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';

/**
 * /portal/preview: the subscriber's own page on Beckon with its real widget (the /widget.js loader, as the embed
 * snippet has it), so a new account sees and tries its call-back button before it has a site. The page lives at
 * /portal/preview/<slug> and is served to that subscriber's session only; the directory and the API's origin
 * check count it as that subscriber's page (src/directory/preview-page.ts).
 */
export function portalPreviewRoutes(deps: { pool: Pool; render: Render; publicUrl: () => string }): Router<AppState, {}> {
  const router = new Router<AppState, {}>({ prefix: '/portal/preview' });
  router.use(requireSubscriber(deps.pool));

  router.get('/', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    ctx.redirect(previewPath(s.slug));
  });

  router.get('/:slug', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    if (ctx.params.slug !== s.slug) throw new NotFoundError('not_found', 'No such preview.');
    const [departments, agents] = await Promise.all([listDepartments(deps.pool, s.id), agentCoverage(deps.pool, s.id)]);
    const ready = isLive(s, departments, agents);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('portal/preview', {
      title: 'Preview', portalNav: portalNav('/portal/preview', csrfToken(ctx)), subscriber: s, ready, suspended: s.status !== 'active', snippet: snippetFor(deps.publicUrl(), s.slug),
    });
  });
  return router;
}
