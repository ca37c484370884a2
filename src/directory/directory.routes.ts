import Router from 'koa-router';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../platform/errors.ts';
import type { AppState } from '../web/context.ts';
import { selfOrigins } from './preview-page.ts';
import { etagMatches, etagOf, type DirectoryService } from './directory.service.ts';

const Query = z.object({ url: z.string().min(1).max(2000) });

/**
 * GET /api/v1/directory?url=<page url>: public and cacheable by browsers and CDNs for a minute; a client
 * that sends its ETag back gets 304 and no body. Cross-origin readable, since the widget runs on the
 * subscriber's own site.
 */
export function directoryRoutes(directory: DirectoryService, opts: { publicUrl?: () => string } = {}): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.get('/api/v1/directory', async (ctx) => {
    const q = Query.safeParse(ctx.query);
    if (!q.success) throw new ValidationError([{ field: 'url', code: 'url_required', message: 'Give the page URL as ?url=.' }]);
    // Not ctx.origin: in Koa 3 that is the request's Origin header.
    const dir = await directory.forPage(q.data.url, new Date(), selfOrigins(opts.publicUrl?.(), `${ctx.protocol}://${ctx.host}`));
    if (!dir) throw new NotFoundError('not_registered', 'No call-back service is registered for this site.');
    const body = JSON.stringify(dir);
    const etag = etagOf(body);
    ctx.set('ETag', etag);
    ctx.set('Cache-Control', 'public, max-age=60');
    ctx.set('Vary', 'Accept-Encoding');
    if (etagMatches(ctx.get('if-none-match'), etag)) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json';
    ctx.body = body;
  });
  return router;
}
