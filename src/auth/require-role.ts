import type Koa from 'koa';
import { LoginRequiredError } from '../platform/errors.ts';
import type { AppState } from '../web/context.ts';
import { getSession, SESSION_MAX_AGE_MS, type Role, type SessionUser } from './session.ts';

/** Whether a session's login is older than a session may last (one without a login time counts as too old). */
const expired = (user: SessionUser, now = Date.now()): boolean => typeof user.since !== 'number' || now - user.since > SESSION_MAX_AGE_MS;

/**
 * Lets a request through only for a session of `role`; browsers asking for a page are sent to `loginPath`,
 * API-style requests get 401. The user is put on ctx.state.user for handlers. A session whose login is older than
 * SESSION_MAX_AGE_MS is over. `isCurrent`, when given, may declare a session of that role over too (its account
 * changed its password, was disabled, or is gone): the session is then ended and the request treated as logged
 * out. The same checks are left on ctx.state.stillSignedIn, so an event stream that outlives this request can ask
 * again (src/web/event-stream.ts does, at each heartbeat).
 */
export function requireRole(role: Role, loginPath: string, opts: { isCurrent?: (user: SessionUser) => Promise<boolean> } = {}): Koa.Middleware<AppState> {
  const current = async (user: SessionUser): Promise<boolean> => !expired(user) && (!opts.isCurrent || (await opts.isCurrent(user)));
  return async (ctx, next) => {
    let user = getSession(ctx)?.user;
    if (user && user.role === role && !(await current(user))) {
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
    const signedIn = user;
    ctx.state.user = signedIn;
    ctx.state.stillSignedIn = () => current(signedIn);
    return next();
  };
}

/** Only same-site relative paths are followed after login (no open redirect). */
export function safeNext(next: unknown, fallback: string): string {
  return typeof next === 'string' && /^\/(?!\/)[\w\-/.?=&%]*$/.test(next) ? next : fallback;
}
