import Router from 'koa-router';
import type { SubscriberCache } from '../../subscribers/subscriber-cache.ts';
import type { Render } from '../views.ts';
import type { AppState } from '../context.ts';

/** The demo's stand-in for a subscriber's web site: the home page links to the demo subscriber's form. */
export function demoRoutes(deps: { subscribers: SubscriberCache; render: Render }): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.get('/', async (ctx) => {
    const entry = await deps.subscribers.get('demo');
    ctx.type = 'html';
    if (!entry) {
      ctx.body = deps.render('error', { title: 'Beckon', message: 'Beckon is running. Sign up to create a call-back service.' });
      return;
    }
    ctx.body = deps.render('demo-page', { title: entry.subscriber.name, subscriber: entry.subscriber, pageUrl: encodeURIComponent(ctx.href), origin: `${ctx.protocol}://${ctx.host}` }); // not ctx.origin: the Origin header in Koa 3
  });
  return router;
}
