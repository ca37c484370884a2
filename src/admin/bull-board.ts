import type Koa from 'koa';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import serve from 'koa-static';
import mount from 'koa-mount';
import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { KoaAdapter } from '@bull-board/koa';
import Bull from 'bull';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { Pool } from '../platform/db/pool.ts';
import { requireOperator } from './operator-session.ts';
import { requireSameOrigin } from '../web/middleware/same-origin.ts';

const QUEUES_PATH = '/admin/queues';

/**
 * Bull Board's page loads IBM Plex from a font CDN, which our CSP (`default-src 'self'`) blocks and which an
 * operator console should not call anyway. The same fonts are served from here (@fontsource packages): one
 * stylesheet at FONTS_CSS, the files under FONTS_PATH, and the board's page links them instead.
 */
const FONTS_PATH = `${QUEUES_PATH}/fonts`;
const FONTS_CSS = `${FONTS_PATH}/plex.css`;
const FONT_FACES = { sans: ['latin-400', 'latin-500', 'latin-600'], mono: ['latin-400', 'latin-500'] } as const;
const CDN_LINK = /<link[^>]+href="https:\/\/fonts\.googleapis\.com\/[^"]*"[^>]*>/g;

function localFonts(): { css: string; dirs: Record<keyof typeof FONT_FACES, string> } {
  const require = createRequire(import.meta.url);
  const dirs = {
    sans: dirname(require.resolve('@fontsource/ibm-plex-sans/package.json')),
    mono: dirname(require.resolve('@fontsource/ibm-plex-mono/package.json')),
  };
  const css = (Object.keys(FONT_FACES) as (keyof typeof FONT_FACES)[])
    .flatMap((family) => FONT_FACES[family].map((face) => readFileSync(join(dirs[family], `${face}.css`), 'utf8').replaceAll('url(./files/', `url(${FONTS_PATH}/${family}/files/`)))
    .join('\n');
  return { css, dirs };
}

/** The board's HTML with the font CDN's stylesheet link replaced by ours. */
export function withLocalFonts(html: string): string {
  return html.replace(CDN_LINK, `<link href="${FONTS_CSS}" rel="stylesheet">`);
}

/**
 * Bull Board under /admin/queues, behind the operator login. Its JSON API changes jobs and queues (retry,
 * clean, remove, pause) and carries no CSRF token of ours, so every request but GET/HEAD must prove it comes
 * from our own page: the browser's Origin or Sec-Fetch-Site naming this server (403 otherwise). SameSite=Lax
 * alone would let a same-site page or an older browser through.
 */
export function adminQueuesMiddleware(pool: Pool, queue: CallbackQueue, extraQueues: Bull.Queue[] = [], publicUrl?: () => string): Koa.Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  // @bull-board/koa pins its own copy of @bull-board/api; the two are the same at run time.
  type ServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];
  createBullBoard({ queues: [queue.queue, ...extraQueues].map((q) => new BullAdapter(q)), serverAdapter: serverAdapter as unknown as ServerAdapter, options: { uiConfig: { boardTitle: 'Beckon queues' } } });
  const board = serverAdapter.registerPlugin() as unknown as Koa.Middleware;
  const guard = requireOperator(pool);
  const fonts = localFonts();
  const fontFiles = (Object.keys(fonts.dirs) as (keyof typeof fonts.dirs)[]).map((family) => mount(`${FONTS_PATH}/${family}/files`, serve(join(fonts.dirs[family], 'files'), { maxage: 86400_000 })));
  return async (ctx, next) => {
    if (ctx.path !== QUEUES_PATH && !ctx.path.startsWith(`${QUEUES_PATH}/`)) return next();
    // Fonts are public files: served without a session, like /static.
    if (ctx.path === FONTS_CSS) {
      ctx.type = 'text/css';
      ctx.set('Cache-Control', 'public, max-age=86400');
      ctx.body = fonts.css;
      return;
    }
    if (ctx.path.startsWith(`${FONTS_PATH}/`)) {
      for (const files of fontFiles) await files(ctx, async () => {});
      if (ctx.body == null) ctx.throw(404);
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      requireSameOrigin(ctx, publicUrl?.(), 'Queue changes are accepted only from the queue board\'s own page.');
    }
    await guard(ctx, () => board(ctx, next));
    if (typeof ctx.body === 'string' && ctx.response.is('html')) ctx.body = withLocalFonts(ctx.body);
  };
}
