import type Koa from 'koa';
import type { Pool } from '../platform/db/pool.ts';
import { requireRole } from '../auth/require-role.ts';
import { findSessionGeneration } from '../subscribers/subscriber.repository.ts';

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
