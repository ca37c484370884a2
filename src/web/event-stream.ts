import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

export interface EventStream {
  /** `id` becomes the event's id, which the browser sends back as Last-Event-ID when it reconnects. */
  send(event: string, data: unknown, id?: string | number): void;
  /** Runs fn once when the stream ends, whoever ends it (client gone, or close()). */
  onClose(fn: () => void): void;
  close(): void;
}

/**
 * Turns the response into a Server-Sent Events stream. A comment line every `heartbeatMs` keeps proxies from
 * timing the connection out; the stream closes when the client goes away. A stream opened by a signed-in session
 * (ctx.state.stillSignedIn, set by the role checks) asks at each heartbeat whether the session still holds, and
 * closes once it does not (the account was disabled, its password changed, the session expired): ending a
 * session ends its streams within a heartbeat, and the browser's reconnect is refused. A check that fails (the
 * database unreachable) keeps the stream open.
 */
export function openEventStream(ctx: Context, heartbeatMs = 15000): EventStream {
  const stream = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  ctx.status = 200;
  ctx.body = stream;
  let closed = false;
  const cleanups: (() => void)[] = [];
  const stillSignedIn = (ctx.state as { stillSignedIn?: () => Promise<boolean> }).stillSignedIn;
  const heartbeat = setInterval(() => {
    if (closed) return;
    stream.write(': keep-alive\n\n');
    if (stillSignedIn) void stillSignedIn().then((yes) => { if (!yes) close(); }, () => {});
  }, heartbeatMs);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const fn of cleanups) fn();
    stream.end();
  };
  ctx.req.on('close', close);
  stream.on('error', close);
  return {
    send(event, data, id) { if (!closed) stream.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`); },
    onClose(fn) { if (closed) fn(); else cleanups.push(fn); },
    close,
  };
}
