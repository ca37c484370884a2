import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Middleware } from 'koa';

/**
 * `/favicon.ico`, which browsers ask for on every site whatever the page's markup says (our pages also link
 * `/static/favicon.svg`). Read once at start; cached by browsers for a day.
 */
export function favicon(publicDir: string): Middleware {
  const icon = readFileSync(join(publicDir, 'favicon.ico'));
  return async (ctx, next) => {
    if (ctx.path !== '/favicon.ico' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.type = 'image/x-icon';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = icon;
  };
}
