import { ForbiddenError } from '../../platform/errors.ts';
import type { AppContext } from '../context.ts';

/**
 * Whether a browser sent this request from another site. Browsers mark every request with Sec-Fetch-Site and
 * state-changing ones with Origin; a request with neither comes from a non-browser client (curl, a server),
 * which cookies and CSRF do not concern. `self` are the origins this server answers as (PUBLIC_URL and the
 * request's own protocol://host). Pure.
 */
export function isCrossSite(h: { secFetchSite?: string; origin?: string }, self: readonly string[]): boolean {
  const site = h.secFetchSite?.toLowerCase();
  if (site && site !== 'same-origin' && site !== 'none') return true;
  if (h.origin && !self.includes(h.origin)) return true;
  return false;
}

/** Whether a browser says this request came from one of our own pages: positive proof, not its absence. Pure. */
function isSameOrigin(h: { secFetchSite?: string; origin?: string }, self: readonly string[]): boolean {
  if (isCrossSite(h, self)) return false;
  return h.secFetchSite?.toLowerCase() === 'same-origin' || (!!h.origin && self.includes(h.origin));
}

type HeaderContext = Pick<AppContext, 'protocol' | 'host' | 'get'>;

function selfOrigins(ctx: HeaderContext, publicUrl: string | undefined): string[] {
  // Not ctx.origin: in Koa 3 that is the request's Origin header, not this server's origin.
  const self = [`${ctx.protocol}://${ctx.host}`];
  if (publicUrl) { try { self.push(new URL(publicUrl).origin); } catch { /* not a URL: only the request's own origin */ } }
  return self;
}

const headersOf = (ctx: HeaderContext) => ({ secFetchSite: ctx.get('sec-fetch-site') || undefined, origin: ctx.get('origin') || undefined });

/** Refuses (403 cross_site_refused) a request another site's page made the visitor's browser send. */
export function refuseCrossSite(ctx: HeaderContext, publicUrl: string | undefined, message: string): void {
  if (isCrossSite(headersOf(ctx), selfOrigins(ctx, publicUrl))) throw new ForbiddenError('cross_site_refused', message);
}

/** Refuses (403 cross_site_refused) anything but a request our own page's script sent (Origin or Sec-Fetch-Site). */
export function requireSameOrigin(ctx: HeaderContext, publicUrl: string | undefined, message: string): void {
  if (!isSameOrigin(headersOf(ctx), selfOrigins(ctx, publicUrl))) throw new ForbiddenError('cross_site_refused', message);
}
