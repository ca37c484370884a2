import type { ParameterizedContext } from 'koa';
import type Router from 'koa-router';
import type { Logger } from '../platform/logger.ts';

/** Per-request data, typed (koa's ctx.state). */
export interface AppState {
  requestId: string;
  log: Logger;
  [key: string]: unknown;
}

export type AppContext = ParameterizedContext<AppState, Router.IRouterParamContext<AppState, {}>>;
