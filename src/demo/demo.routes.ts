import Router from 'koa-router';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import type { Render } from '../web/views.ts';
import type { AppState } from '../web/context.ts';
import { webcallPageCsp } from '../widget/webcall-csp.ts';

export interface DemoLimits {
  enabled: boolean;
  numbersPerVisitor: { points: number; seconds: number };
  callsPerNumber: { points: number; seconds: number } | null;
}

/** The limits as the demo page states them, so a visitor trying each simulated phone knows how many tries it has. */
export function demoLimitsText(l: DemoLimits): string {
  const span = (sec: number) => sec % 3600 === 0 ? (sec === 3600 ? 'hour' : `${sec / 3600} hours`) : `${Math.round(sec / 60)} min`;
  const calls = l.callsPerNumber ? `; one number is rung at most ${l.callsPerNumber.points} times per ${span(l.callsPerNumber.seconds)}` : '';
  if (!l.enabled) return `Rate limits are off on this server${calls}.`;
  return `This server lets one browser ask for ${l.numbersPerVisitor.points} different numbers per ${span(l.numbersPerVisitor.seconds)}${calls}. `
    + 'The demo (npm start) raises these limits so you can try every behaviour above; set LIMIT_NUMBERS_PER_VISITOR and LIMIT_CALLS_PER_NUMBER_HOUR to try the real ones.';
}

/**
 * The demo's stand-in for a subscriber's web site: the home page shows the demo subscriber's widget. Mounted only
 * in the demo (DEMO_PAGE), where the seed owns the slug `demo`; signups never get it (portal-forms.ts).
 */
export function demoRoutes(deps: { subscribers: SubscriberCache; render: Render; limits?: DemoLimits; webcallWsUrl?: string }): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.get('/', async (ctx) => {
    const entry = await deps.subscribers.get('demo');
    ctx.type = 'html';
    // The widget on this page may call from the browser: its SIP WebSocket must be allowed.
    if (deps.webcallWsUrl) ctx.set('Content-Security-Policy', webcallPageCsp(deps.webcallWsUrl));
    if (!entry) {
      ctx.body = deps.render('error', { title: 'Beckon', message: 'Beckon is running. Sign up to create a call-back service.' });
      return;
    }
    ctx.body = deps.render('demo-page', { title: entry.subscriber.name, subscriber: entry.subscriber, pageUrl: encodeURIComponent(ctx.href), limitsText: deps.limits ? demoLimitsText(deps.limits) : '', origin: `${ctx.protocol}://${ctx.host}` }); // not ctx.origin: the Origin header in Koa 3
  });
  return router;
}
