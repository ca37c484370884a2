import session from 'koa-session';
import type Koa from 'koa';
import type { Redis } from 'ioredis';
import { redisKeys } from '../platform/redis-keys.ts';

export type Role = 'subscriber' | 'agent' | 'operator';

/** What a logged-in session carries. One role per session; logging in as another role replaces it. */
export interface SessionUser {
  role: Role; id: string; name: string;
  /** The account's session generation at login: a password change moves it on and ends older sessions. */
  gen?: number;
  /** When the session logged in (ms since the epoch): it ends SESSION_MAX_AGE_MS later, however busy it is. */
  since?: number;
}

/** How long a session lasts from its login. Using it does not lengthen it: a stolen cookie is worth one shift at most. */
export const SESSION_MAX_AGE_MS = 8 * 3600_000;

/**
 * Logs `user` in on this request: a new session id (an id planted before login, fixation, is worth nothing after
 * it) carrying the user and the time of login.
 */
export async function startSession(ctx: Koa.Context | { session?: unknown }, user: Omit<SessionUser, 'since'>): Promise<void> {
  await (getSession(ctx) as { regenerate?: () => Promise<void> } | null)?.regenerate?.();
  getSession(ctx)!.user = { ...user, since: Date.now() };
}

/** The session object koa-session puts on ctx, with the fields we keep in it. */
export interface SessionData { user?: SessionUser; csrf?: string; flash?: string; [key: string]: unknown }

export function getSession(ctx: Koa.Context | { session?: unknown }): SessionData | null {
  return ((ctx as { session?: SessionData | null }).session) ?? null;
}

/** The message a form post left for the next page of this session: handed out once, then gone. */
export function takeFlash(ctx: Koa.Context): string | null {
  const s = getSession(ctx);
  const flash = s?.flash ?? null;
  if (flash) s!.flash = undefined;
  return flash;
}

/** After a form post: 303 to `to`, whose page shows `flash` once. */
export function redirectWithFlash(ctx: Koa.Context, to: string, flash: string): void {
  getSession(ctx)!.flash = flash;
  ctx.status = 303;
  ctx.redirect(to);
}

/**
 * Sessions live in Redis (the cookie holds only a random id), so logging out ends the session on every web
 * process; the role checks (require-role.ts) end sessions whose account changed since login. Cookies are httpOnly
 * and SameSite=Lax, and Secure when the request came in over HTTPS (behind a proxy set TRUST_PROXY=true). A
 * session is never renewed for being used: it lasts SESSION_MAX_AGE_MS from login (the role checks count it from
 * `since`, as koa-session moves its own expiry on at every save).
 */
export function sessionMiddleware(app: Koa<any, any>, redis: Redis, opts: { secret: string; prefix: string; maxAgeMs?: number }): Koa.Middleware {
  app.keys = [opts.secret];
  const maxAge = opts.maxAgeMs ?? SESSION_MAX_AGE_MS;
  const key = redisKeys(opts.prefix).session;
  return session({
    key: 'beckon.sid',
    maxAge,
    httpOnly: true,
    sameSite: 'lax',
    signed: true,
    rolling: false,
    renew: false,
    secure: false,
    store: {
      async get(sid: string) {
        const raw = await redis.get(key(sid)).catch(() => null);
        return raw ? JSON.parse(raw) : null;
      },
      async set(sid: string, value: unknown, ttl?: number | 'session') {
        const ms = typeof ttl === 'number' ? ttl : maxAge;
        await redis.set(key(sid), JSON.stringify(value), 'PX', ms);
      },
      async destroy(sid: string) { await redis.del(key(sid)).catch(() => {}); },
    },
  } as any, app) as unknown as Koa.Middleware;
}

/** Marks the session cookie Secure on HTTPS requests (koa-session takes one static value). */
export function secureCookiesOnHttps(): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    await next();
  };
}
