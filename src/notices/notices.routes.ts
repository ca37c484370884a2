import Router from 'koa-router';
import type { Pool } from '../platform/db/pool.ts';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { redirectWithFlash, takeFlash } from '../auth/session.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';
import type { AppContext, AppState } from '../web/context.ts';
import { portalNav } from '../web/portal-nav.ts';
import type { Render } from '../web/views.ts';
import { NOTICE_LABELS, OFFERED_KINDS, preferencesFromForm } from './notice-kinds.ts';
import { loadPreferences, savePreferences, turnOff } from './notice.repository.ts';
import { verifyUnsubscribe } from './unsubscribe-token.ts';

export interface NoticeRoutesDeps {
  pool: Pool;
  render: Render;
  /** Whether this installation sends email (SMTP_URL set). */
  emailOn: boolean;
  unsubscribeKey: Buffer;
}

type Body = Record<string, unknown>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;

/**
 * /portal/notices: which events the owner is mailed about (to the account's address). Without SMTP the page says
 * that no mail is sent; the choices are kept for when it is.
 * /notices/unsubscribe/:token: the link in every notice. A GET shows one button (mail scanners that open links
 * must not unsubscribe anyone); a POST, the button's or a mail client's one-click (RFC 8058), turns that one
 * event off for that owner. The signed token is the whole authority: no login, no CSRF token.
 */
export function noticeRoutes(deps: NoticeRoutesDeps): Router<AppState, {}>[] {
  const portal = new Router<AppState, {}>({ prefix: '/portal/notices' });
  portal.use(requireSubscriber(deps.pool));
  portal.use(verifyCsrf());

  portal.get('/', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    const prefs = await loadPreferences(deps.pool, s.id);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('portal/notices', {
      title: 'Notices', portalNav: portalNav('/portal/notices', csrfToken(ctx)), csrf: csrfToken(ctx), flash: takeFlash(ctx),
      emailOn: deps.emailOn, email: s.email,
      events: OFFERED_KINDS.map((kind) => ({ kind, label: NOTICE_LABELS[kind], on: prefs[kind] })),
    });
  });

  portal.post('/', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    await savePreferences(deps.pool, s.id, preferencesFromForm(bodyOf(ctx)));
    redirectWithFlash(ctx, '/portal/notices', 'Notice settings saved.');
  });

  const unsubscribe = new Router<AppState, {}>({ prefix: '/notices/unsubscribe' });
  const page = (ctx: AppContext, data: Record<string, unknown>) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    // The token is in the path: never let it reach another site through the Referer header.
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = deps.render('notices/unsubscribe', { title: 'Unsubscribe', action: ctx.path, ...data });
  };

  unsubscribe.get('/:token', (ctx) => {
    const claims = verifyUnsubscribe(deps.unsubscribeKey, ctx.params.token);
    if (!claims) { page(ctx, { invalid: true }); ctx.status = 404; return; }
    page(ctx, { label: NOTICE_LABELS[claims.kind] });
  });

  unsubscribe.post('/:token', async (ctx) => {
    const claims = verifyUnsubscribe(deps.unsubscribeKey, ctx.params.token);
    const done = claims ? await turnOff(deps.pool, claims.subscriberId, claims.kind) : false;
    if (!claims || !done) { page(ctx, { invalid: true }); ctx.status = 404; return; }
    page(ctx, { done: true, label: NOTICE_LABELS[claims.kind] });
  });

  return [portal, unsubscribe];
}
