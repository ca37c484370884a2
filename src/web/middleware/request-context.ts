import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../platform/logger.ts';
import type { AppState } from '../context.ts';

const BASE_LOG = Symbol('base logger');
const CHILD_LOG = Symbol('request logger');
type LazyLogState = AppState & { [BASE_LOG]: Logger; [CHILD_LOG]?: Logger };

/** ctx.state.log: the request's child logger, made on first read. One descriptor for all requests (no closures). */
const LAZY_LOG: PropertyDescriptor = {
  get(this: LazyLogState) { return (this[CHILD_LOG] ??= this[BASE_LOG].child({ reqId: this.requestId })); },
  set(this: LazyLogState, value: Logger) { this[CHILD_LOG] = value; },
  enumerable: true, configurable: true,
};

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
    (ctx.state as LazyLogState)[BASE_LOG] = log;
    Object.defineProperty(ctx.state, 'log', LAZY_LOG);
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    await next();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (ctx.status >= 500 || ms > 1000) ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
    else if (log.isLevelEnabled('debug')) ctx.state.log.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
  };
}
