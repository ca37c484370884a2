import type Koa from 'koa';
import { LoginRequiredError } from '../platform/errors.ts';
import { getSession, type Role, type SessionUser } from './session.ts';

/**
 * Lets a request through only for a session of `role`; browsers asking for a page are sent to `loginPath`,
 * API-style requests get 401. The user is put on ctx.state.user for handlers. `isCurrent`, when given, may
 * declare a session of that role over (its account changed its password, or is gone): the session is then
 * ended and the request treated as logged out.
 */
export function requireRole(role: Role, loginPath: string, opts: { isCurrent?: (user: SessionUser) => Promise<boolean> } = {}): Koa.Middleware {
  return async (ctx, next) => {
    let user = getSession(ctx)?.user;
    if (user && user.role === role && opts.isCurrent && !(await opts.isCurrent(user))) {
      (ctx as unknown as { session: unknown }).session = null;
      user = undefined;
    }
    if (!user || user.role !== role) {
      if (ctx.method === 'GET' && ctx.accepts('html', 'json') === 'html') {
        ctx.redirect(`${loginPath}?next=${encodeURIComponent(ctx.originalUrl)}`);
        return;
      }
      throw new LoginRequiredError();
    }
    ctx.state.user = user;
    return next();
  };
}

/** Only same-site relative paths are followed after login (no open redirect). */
export function safeNext(next: unknown, fallback: string): string {
  return typeof next === 'string' && /^\/(?!\/)[\w\-/.?=&%]*$/.test(next) ? next : fallback;
}
