import type Koa from 'koa';
import type { Pool } from '../platform/db/pool.ts';
import type { AppState } from '../web/context.ts';
import { requireRole } from '../auth/require-role.ts';
import { operatorSessionIsCurrent } from './operator.repository.ts';

/**
 * An operator's session, still current: the operator exists and its session generation is the one the session
 * logged in with. A new password (ADMIN_PASSWORD changed and the process restarted) moves it on, so sessions from
 * before it end, on every admin page, the agent pages and the queue board.
 */
export function requireOperator(pool: Pool): Koa.Middleware<AppState> {
  return requireRole('operator', '/admin/login', {
    isCurrent: (user) => operatorSessionIsCurrent(pool, user.id, user.gen ?? 0),
  });
}
