import type { Middleware } from 'koa';

/** Our pages' policy; a page that needs more (the hosted form's SIP WebSocket) sets its own from it. */
export const PAGE_CSP = "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/**
 * Conservative defaults for our own pages; the widget bundle and API set their own CORS headers. Scripts come
 * only from this server (public/ under /static, the widget): no inline script runs, so an injected
 * `<script>` or event handler attribute does nothing. `https` (PUBLIC_URL is https) adds HSTS, so a browser
 * that has seen Beckon once never talks plain HTTP to it again (sessions, form tokens, status tokens).
 */
export function securityHeaders(o: { https?: () => boolean } = {}): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'strict-origin-when-cross-origin');
    if (o.https?.()) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    if (ctx.type === 'text/html') {
      ctx.set('X-Frame-Options', 'SAMEORIGIN');
      if (!ctx.response.get('Content-Security-Policy')) {
        ctx.set('Content-Security-Policy', PAGE_CSP);
      }
    }
  };
}
