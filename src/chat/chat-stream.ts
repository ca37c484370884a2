import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.ts';
import type { ChatMessage } from './chat.repository.ts';

/**
 * Entries one chat stream keeps: an entry only has to outlive a reader's reconnect, the messages are in PostgreSQL
 * (a reader that finds a gap in the numbers reads them there).
 */
const STREAM_MAXLEN = 200;
/** Longest one XREAD blocks; a new key to watch interrupts it at once (CLIENT UNBLOCK). */
const BLOCK_MS = 5000;
/** Longest the reader waits for its connection to be ready before it logs and tries again. */
const READY_WAIT_MS = 5000;

/**
 * Resolves once `conn` is ready for commands. A duplicated connection inherits enableOfflineQueue: false, so a
 * command sent while it still connects fails at once instead of waiting: the reader waits for 'ready' first.
 */
function whenReady(conn: Redis, ms: number): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => { clearTimeout(timer); conn.off('ready', onReady); conn.off('end', onEnd); if (err) reject(err); else resolve(); };
    const onReady = () => done();
    const onEnd = () => done(new Error('chat stream connection closed'));
    const timer = setTimeout(() => done(new Error(`chat stream connection not ready within ${ms} ms`)), ms);
    conn.once('ready', onReady);
    conn.once('end', onEnd);
  });
}

/** What one stream entry says: on a conversation's stream, `seq` and `what`, and for a new message the message as stored. */
export type ChatNotice = { message?: ChatMessage } & Record<string, unknown>;
type Listener = (n: ChatNotice) => void;

/** Adds a notification to a chat stream (XADD, capped): every web process watching the key hears it. */
export async function notify(redis: Redis, key: string, n: ChatNotice): Promise<void> {
  await redis.xadd(key, 'MAXLEN', '~', String(STREAM_MAXLEN), '*', 'n', JSON.stringify(n));
}

/**
 * One blocking Redis connection per web process reads every chat stream some open connection of this process
 * watches (XREAD BLOCK over all of them), so a thousand open chats cost one connection, not a thousand. A key
 * starts being read from its newest entry at the time it is first watched: what came earlier a watcher reads from
 * PostgreSQL. Listeners of one key hear its notifications in stream order.
 */
export class ChatStreamReader {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly cursors = new Map<string, string>();
  private conn: Redis | null = null;
  private connId: number | null = null;
  private running = false;
  private blocked = false;

  constructor(private readonly redis: Redis, private readonly log: Logger) {}

  /** Calls `fn` for each notification added to `key` from now on; returns the function that stops it. */
  async watch(key: string, fn: Listener): Promise<() => void> {
    if (!this.cursors.has(key)) {
      const last = await this.redis.xrevrange(key, '+', '-', 'COUNT', 1);
      if (!this.cursors.has(key)) this.cursors.set(key, last[0]?.[0] ?? '0-0');
    }
    let set = this.listeners.get(key);
    if (!set) { set = new Set(); this.listeners.set(key, set); }
    set.add(fn);
    this.wake();
    return () => {
      const s = this.listeners.get(key);
      if (!s) return;
      s.delete(fn);
      if (s.size === 0) { this.listeners.delete(key); this.cursors.delete(key); this.wake(); }
    };
  }

  /** Watches several keys with one listener: all of them, or (when one cannot be watched) none. */
  async watchAll(keys: string[], fn: Listener): Promise<() => void> {
    const settled = await Promise.allSettled(keys.map((k) => this.watch(k, fn)));
    const stops = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const stopAll = () => { for (const s of stops) s(); };
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) { stopAll(); throw (failed as PromiseRejectedResult).reason; }
    return stopAll;
  }

  private wake(): void {
    if (!this.running) { if (this.listeners.size > 0) void this.loop(); return; }
    if (this.blocked && this.connId !== null) void this.redis.client('UNBLOCK', this.connId).catch(() => {});
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      // Its own connection (the same server, Sentinel or not): a blocked XREAD holds it; never auto-pipelined.
      if (!this.conn) {
        const conn = this.redis.duplicate({ enableAutoPipelining: false });
        // A reconnected connection has a new id: it is asked again before the next read.
        conn.on('ready', () => { if (this.conn === conn) this.connId = null; });
        this.conn = conn;
      }
      while (this.listeners.size > 0) {
        await whenReady(this.conn, READY_WAIT_MS);
        if (this.connId === null) this.connId = Number(await this.conn.client('ID'));
        const keys = [...this.listeners.keys()];
        const ids = keys.map((k) => this.cursors.get(k) ?? '$');
        this.blocked = true;
        let got: [string, [string, string[]][]][] | null;
        try {
          got = await this.conn.xread('BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...ids) as typeof got;
        } catch (err) {
          this.blocked = false;
          this.log.warn({ err: (err as Error).message }, 'chat stream read failed; retrying');
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        this.blocked = false;
        for (const [key, entries] of got ?? []) {
          for (const [id, fields] of entries) {
            if (this.cursors.has(key)) this.cursors.set(key, id);
            const raw = fields[fields.indexOf('n') + 1];
            let n: ChatNotice;
            try { n = JSON.parse(raw ?? '{}'); } catch { continue; }
            for (const fn of this.listeners.get(key) ?? []) {
              try { fn(n); } catch (err) { this.log.warn({ err }, 'chat listener failed'); }
            }
          }
        }
      }
    } catch (err) {
      // Redis unreachable before the first read: the next watch, or the retry below, starts again.
      this.log.warn({ err: (err as Error).message }, 'chat stream reader could not start');
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      this.running = false;
    }
    // Nothing watched: the blocking connection is let go (a process with no open chat holds none).
    if (this.listeners.size === 0 && this.conn) {
      this.conn.disconnect();
      this.conn = null;
      this.connId = null;
    }
    // A key watched between the last read and the loop's end starts it again.
    if (this.listeners.size > 0) void this.loop();
  }
}
