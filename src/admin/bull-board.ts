import type Koa from 'koa';
import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { CallbackQueue } from '../queue/callback-queue.ts';
import { requireRole } from '../auth/require-role.ts';
import { requireSameOrigin } from '../http/middleware/same-origin.ts';

export const QUEUES_PATH = '/admin/queues';

/**
 * Bull Board under /admin/queues, behind the operator login. Its JSON API changes jobs and queues (retry,
 * clean, remove, pause) and carries no CSRF token of ours, so every request but GET/HEAD must prove it comes
 * from our own page: the browser's Origin or Sec-Fetch-Site naming this server (403 otherwise). SameSite=Lax
 * alone would let a same-site page or an older browser through.
 */
export function adminQueuesMiddleware(queue: CallbackQueue, extraQueues: CallbackQueue['queue'][] = [], publicUrl?: () => string): Koa.Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  // @bull-board/koa pins its own copy of @bull-board/api; the two are the same at run time.
  type ServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];
  createBullBoard({ queues: [queue.queue, ...extraQueues].map((q) => new BullAdapter(q)), serverAdapter: serverAdapter as unknown as ServerAdapter, options: { uiConfig: { boardTitle: 'Beckon queues' } } });
  const board = serverAdapter.registerPlugin() as unknown as Koa.Middleware;
  const guard = requireRole('operator', '/admin/login');
  return async (ctx, next) => {
    if (ctx.path !== QUEUES_PATH && !ctx.path.startsWith(`${QUEUES_PATH}/`)) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      requireSameOrigin(ctx, publicUrl?.(), 'Queue changes are accepted only from the queue board\'s own page.');
    }
    await guard(ctx, () => board(ctx, next));
  };
}
