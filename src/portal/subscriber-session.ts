import type Koa from 'koa';
import type { Pool } from '../db/pool.ts';
import { requireRole } from '../auth/require-role.ts';
import type { SessionUser } from '../auth/session.ts';
import { AppError } from '../errors/app-error.ts';
import { findSessionGeneration } from '../subscribers/subscriber.repository.ts';

/**
 * A subscriber's session, still current: requireRole, then the account's session generation. A password
 * change (or reset) moves the generation on, so every session from before it ends — whoever else held one,
 * with a stolen password say, is locked out — and a deleted account's sessions end too.
 */
export function requireSubscriber(pool: Pool): Koa.Middleware {
  const role = requireRole('subscriber', '/login');
  return (ctx, next) => role(ctx, async () => {
    const user = ctx.state.user as SessionUser;
    const gen = await findSessionGeneration(pool, user.id);
    if (gen === null || gen !== (user.gen ?? 0)) {
      (ctx as unknown as { session: unknown }).session = null;
      if (ctx.method === 'GET' && ctx.accepts('html', 'json') === 'html') { ctx.redirect(`/login?next=${encodeURIComponent(ctx.originalUrl)}`); return; }
      throw new AppError(401, 'login_required', 'Please log in.');
    }
    return next();
  });
}
