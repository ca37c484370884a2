import type { Middleware } from 'koa';
import { ForbiddenError } from '../platform/errors.ts';
import type { Queryable } from '../platform/db/pool.ts';
import { findDomainOwner, normalizeHost } from '../subscribers/domain-match.ts';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import type { AppState } from '../web/context.ts';
import { previewPageOwner } from '../directory/preview-page.ts';

const bodySlug = (ctx: { request: unknown }): string | null => {
  const slug = (ctx.request as { body?: { subscriber?: unknown } }).body?.subscriber;
  return typeof slug === 'string' ? slug.trim() : null;
};

/** No subscriber verified the Origin's host: its pages may not change anything here. */
const unregisteredSite = () => new ForbiddenError('origin_not_allowed', 'This site is not registered for call-backs.');

export interface CorsDeps { db: Queryable; subscribers: SubscriberCache; publicUrl: string; ttlMs?: number }

/** The Origin's host owner, cached briefly: every widget request from a page carries the same Origin. */
function createOriginOwners(db: Queryable, ttlMs = 10_000) {
  const cache = new Map<string, { at: number; owner: Promise<string | null> }>();
  return (origin: string): Promise<string | null> => {
    const hit = cache.get(origin);
    if (hit && Date.now() - hit.at < ttlMs) return hit.owner;
    let host: string | null = null;
    try {
      const u = new URL(origin);
      if (u.protocol === 'http:' || u.protocol === 'https:') host = normalizeHost(u.hostname);
    } catch { /* "null" and garbage origins own nothing */ }
    const owner = host ? findDomainOwner(db, host).then((o) => o?.subscriberId ?? null) : Promise.resolve(null);
    owner.catch(() => cache.delete(origin));
    cache.set(origin, { at: Date.now(), owner });
    if (cache.size > 5000) cache.delete(cache.keys().next().value!);
    return owner;
  };
}

/**
 * CORS for the public API (/api/v1/*): a browser on a subscriber's registered domain may read the answers; a
 * submission from a browser must come from a domain of the subscriber it names (so one site cannot have Beckon
 * ring numbers in another subscriber's name, nor an unregistered site at all). Requests without Origin
 * (servers, curl) are untouched; no credentials are ever allowed. Must run after the body parser.
 */
export function publicApiCors(deps: CorsDeps): Middleware<AppState> {
  const ownerOf = createOriginOwners(deps.db, deps.ttlMs);
  const self = new URL(deps.publicUrl).origin;
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/api/v1/')) return next();
    ctx.vary('Origin');
    const origin = ctx.get('Origin');
    // A call-back request or a web call (either makes something ring in the named subscriber's name), an
    // invitation beacon (counted in its name), or a new chat (written to its service center).
    const submitting = ctx.method === 'POST' && /^\/api\/v1\/(callbacks|webcalls|invitations\/events|chat\/start)\/?$/.test(ctx.path);
    if (origin && (origin === self || origin === `${ctx.protocol}://${ctx.host}`)) {
      // Beckon's own pages. A portal preview page (preview-page.ts) stands for one subscriber's site: the widget
      // on it may ask for call-backs in that subscriber's name only (same-origin requests carry the full Referer).
      const previewOf = submitting ? previewPageOwner(ctx.get('Referer'), [self, `${ctx.protocol}://${ctx.host}`]) : null;
      if (previewOf && bodySlug(ctx) !== previewOf) throw new ForbiddenError('origin_not_allowed', 'This preview page may request call-backs only for its own subscriber.');
      return next();
    }
    if (!origin) return next();
    const owner = await ownerOf(origin);
    const preflight = ctx.method === 'OPTIONS' && !!ctx.get('Access-Control-Request-Method');
    if (preflight) {
      if (!owner) throw unregisteredSite();
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Methods', 'GET, POST');
      ctx.set('Access-Control-Allow-Headers', 'Content-Type, If-None-Match');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    if (submitting) {
      const slug = (ctx.request as unknown as { body?: { subscriber?: unknown } }).body?.subscriber;
      const named = typeof slug === 'string' ? await deps.subscribers.get(slug.trim()).catch(() => null) : null;
      if (!owner || !named || named.subscriber.id !== owner) {
        throw new ForbiddenError('origin_not_allowed', 'This site may not request call-backs for this subscriber.');
      }
    } else if (!owner && ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      // Cancels and other changes from an unregistered site's browser: refused, not just unreadable.
      throw unregisteredSite();
    }
    if (owner) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Expose-Headers', 'ETag');
    }
    await next();
    // Again afterwards: a route that sets its own Vary must not drop Origin (caches would mix sites' answers).
    ctx.vary('Origin');
  };
}
