import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import serve from 'koa-static';
import mount from 'koa-mount';
import type { Container } from '../container.ts';
import { createAcceptService, type AcceptGuard } from '../callbacks/accept.service.ts';
import { createRenderer } from './views.ts';
import type { AppState } from './context.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { requestContext } from './middleware/request-context.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { callbacksApiRoutes } from './routes/callbacks-api.routes.ts';
import { hostedFormRoutes } from './routes/hosted-form.routes.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { demoRoutes } from './routes/demo.routes.ts';
import { secureCookiesOnHttps, sessionMiddleware } from '../auth/session.ts';

const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/** Extension points other modules plug into when the app is composed (policy guards, extra routers). */
export interface AppExtensions {
  guards?: AcceptGuard[];
}

export function createApp(c: Container, ext: AppExtensions = {}): Koa<AppState> {
  const app = new Koa<AppState>();
  app.proxy = c.config.TRUST_PROXY;
  const render = createRenderer();
  const accept = createAcceptService({
    pool: c.pool, queue: c.queue, subscribers: c.subscribers, log: c.log, publicUrl: c.config.publicUrl, guards: ext.guards,
  });

  app.use(requestContext(c.log));
  app.use(errorHandler(render));
  app.use(securityHeaders());
  app.use(mount('/static', serve(PUBLIC_DIR, { maxage: 3600_000 })));
  // 64 KB is far above any real call-back request and keeps floods of large bodies cheap to refuse.
  app.use(bodyParser({ enableTypes: ['json', 'form'], jsonLimit: '64kb', formLimit: '64kb', strict: true }));
  // Sessions are loaded lazily (only when a handler touches ctx.session), so the public API pays nothing for them.
  app.use(secureCookiesOnHttps());
  app.use(sessionMiddleware(app, c.redis, { secret: c.config.SESSION_SECRET, prefix: c.config.REDIS_PREFIX }));

  const routers = [
    healthRoutes({ pool: c.pool, queue: c.queue, ariUrl: c.config.ARI_URL, ariUser: c.config.ARI_USER, ariPassword: c.config.ARI_PASSWORD }),
    callbacksApiRoutes({ pool: c.pool, accept, bus: c.bus }),
    hostedFormRoutes({ pool: c.pool, accept, subscribers: c.subscribers, render }),
    demoRoutes({ subscribers: c.subscribers, render, publicUrl: c.config.publicUrl }),
  ];
  for (const r of routers) app.use(r.routes()).use(r.allowedMethods());
  return app;
}
