import type { Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import { BadRequestError, NotImplementedError } from '../../platform/errors.ts';
import { hasControlChars } from '../../platform/validation/text.ts';

/**
 * Checks at the edge, once, before any handler sees the request: what no route can use is refused with a 4xx
 * here rather than failing deeper (a PostgreSQL cast, a SIP header, a decoder) as a 5xx.
 */

/**
 * Beckon's routes use these methods only. Anything else (TRACE, PROPFIND, CONNECT, …) gets 501 Not
 * Implemented for every path, as RFC 9110 §15.6.2 says for a method the server does not support for any
 * resource; TRACE in particular is never echoed back.
 */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Nesting deeper than this is no form or API body of ours; walking it is refused rather than recursed. */
const MAX_BODY_DEPTH = 16;

function decodes(part: string): boolean {
  try { decodeURIComponent(part); return true; } catch { return false; }
}

/** Method, percent-encoding and control characters of the request line (path and query). */
export function requestLineGuard(): Middleware {
  return async (ctx, next) => {
    if (!METHODS.has(ctx.method)) {
      ctx.set('Allow', [...METHODS].join(', '));
      throw new NotImplementedError('method_not_implemented', `${ctx.method} is not supported here.`);
    }
    const parts = [ctx.path, ...ctx.querystring.split('&').map((p) => p.replace(/\+/g, ' '))];
    if (!parts.every(decodes)) throw new BadRequestError('malformed_uri', 'The address is not validly percent-encoded.');
    if (parts.some((p) => hasControlChars(decodeURIComponent(p)))) throw new BadRequestError('control_characters', 'The address contains control characters.');
    return next();
  };
}

/**
 * koa-bodyparser whose decoding failures are the client's: a Content-Encoding (gzip, deflate, br) the body
 * does not match fails inside zlib with no HTTP status, which would be a 500.
 */
export function parseBody(opts: bodyParser.Options): Middleware {
  const parse = bodyParser(opts);
  return async (ctx, next) => {
    let parsed = false;
    try {
      await parse(ctx, async () => { parsed = true; });
    } catch (raw) {
      const err = raw as { status?: number };
      if (err.status && err.status >= 400 && err.status < 500) throw raw;
      const encoding = ctx.get('content-encoding');
      if (encoding && encoding.toLowerCase() !== 'identity') {
        throw new BadRequestError('bad_content_encoding', `The request body is not valid ${encoding}.`);
      }
      throw new BadRequestError('unreadable_body', 'The request body could not be read.');
    }
    if (parsed) return next();
  };
}

/** Control characters and deep nesting in a parsed body (JSON or form), keys included. */
export function bodyGuard(): Middleware {
  return async (ctx, next) => {
    const body = (ctx.request as unknown as { body?: unknown }).body;
    const problem = bodyProblem(body);
    if (problem === 'depth') throw new BadRequestError('body_too_deep', 'The request body is nested too deeply.');
    if (problem === 'control') throw new BadRequestError('control_characters', 'The request contains control characters.');
    return next();
  };
}

/** Walks a parsed body without recursion (pure). */
export function bodyProblem(body: unknown): 'depth' | 'control' | null {
  const stack: [unknown, number][] = [[body, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') { if (hasControlChars(v)) return 'control'; continue; }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) return 'depth';
    for (const [k, child] of Object.entries(v)) {
      if (hasControlChars(k)) return 'control';
      stack.push([child, depth + 1]);
    }
  }
  return null;
}
