import Router from 'koa-router';
import type { Render } from './views.ts';
import type { AppState } from './context.ts';

/**
 * Beckon's own home page outside the demo: a neutral page that names no subscriber, so no account (whatever its
 * name or slug) speaks, or runs its widget, on Beckon's origin. The demo mounts its page here instead (DEMO_PAGE).
 */
export function homeRoutes(deps: { render: Render }): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = deps.render('error', { title: 'Beckon', message: 'Beckon is running. Sign up to create a call-back service.' });
  });
  return router;
}
