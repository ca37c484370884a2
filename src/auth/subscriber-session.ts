import type Koa from 'koa';
import type { Pool } from '../platform/db/pool.ts';
import { LoginRequiredError } from '../platform/errors.ts';
import type { AppContext } from '../web/context.ts';
import { findSessionGeneration, findSubscriberById } from '../subscribers/subscriber.repository.ts';
import type { Subscriber } from '../subscribers/subscriber.types.ts';
import { requireRole } from './require-role.ts';

/**
 * A subscriber's session, still current: the account's session generation is the one it logged in with. A
 * password change (or reset) moves the generation on, so every session from before it ends — whoever else held
 * one, with a stolen password say, is locked out — and a deleted account's sessions end too.
 */
export function requireSubscriber(pool: Pool): Koa.Middleware {
  return requireRole('subscriber', '/login', {
    isCurrent: async (user) => (await findSessionGeneration(pool, user.id)) === (user.gen ?? 0),
  });
}

/**
 * The signed-in subscriber of a portal page (behind requireSubscriber), read fresh. An account deleted since the
 * check has no page: its session ends and the request is a 401 like any logged-out one.
 */
export async function currentSubscriber(ctx: AppContext, pool: Pool): Promise<Subscriber> {
  const user = ctx.state.user as { id: string } | undefined;
  const s = user ? await findSubscriberById(pool, user.id) : null;
  if (!s) {
    (ctx as unknown as { session: unknown }).session = null;
    throw new LoginRequiredError();
  }
  return s;
}
