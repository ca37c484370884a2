import type { ParameterizedContext } from 'koa';
import type Router from 'koa-router';
import type { Logger } from '../platform/logger.ts';

/** Per-request data, typed (koa's ctx.state). */
export interface AppState {
  requestId: string;
  log: Logger;
  /**
   * Set by the role checks (src/auth/require-role.ts): whether the request's session is still signed in (not
   * expired, its account unchanged). A long-lived response, an event stream, asks it again as it goes.
   */
  stillSignedIn?: () => Promise<boolean>;
  [key: string]: unknown;
}

export type AppContext = ParameterizedContext<AppState, Router.IRouterParamContext<AppState, {}>>;
