import { isIP } from 'node:net';
import type { Middleware } from 'koa';
import type { AppState } from '../context.ts';

/**
 * The client's address as the proxy chain defines it. Each trusted proxy appends the address it received the
 * connection from to X-Forwarded-For, so with `hops` trusted proxies in front of us the client is the `hops`-th
 * entry from the right; anything left of it was written by the client and proves nothing. With no trusted hops,
 * or when that entry is not an IP address, the socket's address is used. Pure.
 */
export function clientAddress(forwardedFor: string | undefined, socketAddress: string | undefined, hops: number): string {
  const socket = socketAddress ?? '';
  if (hops <= 0 || !forwardedFor) return socket;
  const chain = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
  if (chain.length === 0) return socket;
  const candidate = chain[Math.max(0, chain.length - hops)]!;
  return isIP(candidate) ? candidate : socket;
}

/**
 * Sets ctx.ip once, validated, for everything after it (limits, logs, the inet columns): no header value
 * reaches SQL unchecked.
 */
export function clientIp(hops: number): Middleware<AppState> {
  return async (ctx, next) => {
    const forwarded = ctx.get('x-forwarded-for') || undefined;
    (ctx.request as unknown as { ip: string }).ip = clientAddress(forwarded, ctx.req.socket.remoteAddress, hops);
    await next();
  };
}
