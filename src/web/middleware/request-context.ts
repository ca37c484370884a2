import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../platform/logger.ts';
import type { AppState } from '../context.ts';

/**
 * Gives every request an id (kept from X-Request-Id when sane) and a child logger carrying it. The child is made
 * when something first reads ctx.state.log: most requests log nothing at the default level, and a pino child per
 * request was a measurable share of the accept path's CPU and garbage.
 */
export function requestContext(log: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const requestId = /^[\w-]{8,64}$/.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', {
      get: () => (child ??= log.child({ reqId: requestId })),
      set: (value: Logger) => { child = value; },
      enumerable: true, configurable: true,
    });
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    await next();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (ctx.status >= 500 || ms > 1000) ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
    else if (log.isLevelEnabled('debug')) ctx.state.log.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
  };
}
