import type { Middleware } from 'koa';
import { AppError, NotFoundError } from '../../platform/errors.ts';
import type { Render } from '../views.ts';
import type { AppState } from '../context.ts';

/**
 * The one error path: AppErrors become `{"error": {code, message, fields?}}` (or an HTML page for browsers on
 * page routes); body-parser errors keep their status (400 malformed, 413 too large); anything else is a 500
 * that is logged with the request id and tells the client nothing more.
 */
export function errorHandler(render: Render): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new NotFoundError('not_found', 'Nothing here.');
    } catch (raw) {
      const err = raw as Error & { status?: number; expose?: boolean; type?: string; code?: string };
      let status = 500;
      let code = 'internal_error';
      let message = 'Something went wrong on our side. Please try again.';
      let fields: unknown;
      let extra: Record<string, unknown> | undefined;
      if (err instanceof AppError) {
        ({ status, code, message } = err);
        fields = err.fields;
        extra = err.extra;
      } else if (err.status && err.status >= 400 && err.status < 500) {
        status = err.status;
        code = status === 413 ? 'body_too_large' : err.type === 'entity.parse.failed' || err instanceof SyntaxError ? 'malformed_json' : err.status === 415 ? 'unsupported_media_type' : 'bad_request';
        message = status === 413 ? 'The request body is too large.' : code === 'malformed_json' ? 'The request body is not valid JSON.' : err.expose ? err.message : 'Bad request.';
      } else if ((err as { code?: string }).code === 'ECONNREFUSED' || /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/.test(err.message)) {
        status = 503; code = 'service_unavailable'; message = 'The service is temporarily unavailable. Please try again in a minute.';
      }
      if (status >= 500) ctx.state.log?.error({ err }, 'request failed');
      else ctx.state.log?.info({ status, code }, 'request refused');
      ctx.status = status;
      if (status === 503) ctx.set('Retry-After', '30');
      const wantsHtml = ctx.method === 'GET' && !ctx.path.startsWith('/api/') && ctx.accepts('html', 'json') === 'html';
      if (wantsHtml) {
        ctx.type = 'html';
        ctx.body = render('error', { title: status === 404 ? 'Not found' : 'Sorry', message });
      } else {
        ctx.body = { error: { code, message, ...(fields ? { fields } : {}), ...extra } };
      }
    }
  };
}
