import type { Middleware } from 'koa';

/** Conservative defaults for our own pages; the widget bundle and API set their own CORS headers. */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'strict-origin-when-cross-origin');
    if (ctx.type === 'text/html') {
      ctx.set('X-Frame-Options', 'SAMEORIGIN');
      if (!ctx.response.get('Content-Security-Policy')) {
        ctx.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'self'");
      }
    }
  };
}
