import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import { CsrfError } from '../platform/errors.ts';
import { getSession } from './session.ts';
import { safeEqual } from './safe-equal.ts';

/** The session's CSRF token, created on first use; templates put it in a hidden `_csrf` field. */
export function csrfToken(ctx: Koa.Context): string {
  const session = getSession(ctx);
  if (!session) throw new Error('session middleware missing');
  if (!session.csrf) session.csrf = randomBytes(24).toString('base64url');
  return session.csrf;
}

/**
 * Refuses state-changing requests without the session's token (form field `_csrf` or header X-CSRF-Token).
 * Mount it on routers for logged-in audiences (portal, agent console, admin) and on login/sign-up forms.
 */
export function verifyCsrf(): Koa.Middleware {
  return async (ctx, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(ctx.method)) return next();
    const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body;
    const sent = (typeof body?._csrf === 'string' ? body._csrf : '') || ctx.get('x-csrf-token');
    const expected = getSession(ctx)?.csrf;
    const ok = !!expected && safeEqual(sent, expected);
    if (!ok) throw new CsrfError();
    return next();
  };
}
