import type Koa from 'koa';
import type { Pool } from '../platform/db/pool.ts';
import { ForbiddenError, LoginRequiredError } from '../platform/errors.ts';
import type { AppContext, AppState } from '../web/context.ts';
import { findSessionGeneration, findSubscriberById, findSubscriberStatus } from '../subscribers/subscriber.repository.ts';
import type { Subscriber } from '../subscribers/subscriber.types.ts';
import { requireRole } from './require-role.ts';
import type { SessionUser } from './session.ts';

/** Methods that change nothing: a suspended account may still use them. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What a suspended account's owner is told when it tries to change anything. */
export const SUSPENDED_READ_ONLY = 'This account is suspended: you can look at it, but nothing can be changed and no calls are made. Contact support.';

/**
 * A subscriber's session, still current: the account's session generation is the one it logged in with. A
 * password change (or reset) moves the generation on, so every session from before it ends — whoever else held
 * one, with a stolen password say, is locked out — and a deleted account's sessions end too.
 *
 * A suspended account is read only, for sessions from before the suspension as for new ones: its owner still sees
 * why (the overview says so), its requests, usage and statements (what it owes), but every other method is a 403
 * `account_suspended`, checked here, on every portal route, against the status read fresh: no profile, phone,
 * department, domain, team or webhook change, no chat reply, no verification call. Read only rather than no login
 * because the owner of a suspended account is the one person who has to learn why and settle it; the suspension
 * itself (no calls, no widget, no new requests) is enforced where calls and requests are made.
 */
export function requireSubscriber(pool: Pool): Koa.Middleware<AppState> {
  const signedIn = requireRole('subscriber', '/login', {
    isCurrent: async (user) => (await findSessionGeneration(pool, user.id)) === (user.gen ?? 0),
  });
  return (ctx, next) => signedIn(ctx, async () => {
    if (!READS.has(ctx.method) && (await findSubscriberStatus(pool, (ctx.state.user as SessionUser).id)) !== 'active') {
      throw new ForbiddenError('account_suspended', SUSPENDED_READ_ONLY);
    }
    return next();
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
