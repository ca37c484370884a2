import test from 'ava';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createRedis } from '../../src/platform/redis.ts';
import { ChatStreamReader, notify, type ChatNotice } from '../../src/chat/chat-stream.ts';
import { testRedisPrefix } from '../helpers/database.ts';

// The chat stream reader on a real Redis, with the connection options every Beckon process uses (commands fail at
// once while a connection is not ready): its own blocking connection must be ready before it reads.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A connection as the web process has it once started: ready (the reader's own connection is the one under test). */
async function readyRedis() {
  const redis = createRedis(REDIS_URL);
  if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
  return redis;
}

function capture() {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({ write(c, _e, cb) { for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { lines, log: pino({ level: 'info' }, sink) };
}

test('the first key watched in a process hears an entry added right away, without a failed start', async (t) => {
  const redis = await readyRedis();
  const { lines, log } = capture();
  const reader = new ChatStreamReader(redis, log);
  const key = `${testRedisPrefix('chatreader')}:chat:conv:first`;
  try {
    const heard: ChatNotice[] = [];
    const stop = await reader.watch(key, (n) => heard.push(n));
    const at = Date.now();
    await notify(redis, key, { seq: 1, what: 'message' });
    while (heard.length === 0 && Date.now() - at < 3000) await new Promise((r) => setTimeout(r, 10));
    const ms = Date.now() - at;
    stop();
    t.deepEqual(heard, [{ seq: 1, what: 'message' }]);
    // A failed start waits a second before it reads; a ready connection reads at once.
    t.true(ms < 500, `heard after ${ms} ms`);
    t.deepEqual(lines.filter((l) => l.level >= 40).map((l) => l.msg), []);
  } finally {
    await redis.del(key);
    redis.disconnect();
  }
});

test('entries are heard in order, a message riding along as it was added', async (t) => {
  const redis = await readyRedis();
  const { log } = capture();
  const reader = new ChatStreamReader(redis, log);
  const key = `${testRedisPrefix('chatreader')}:chat:conv:order`;
  try {
    const heard: ChatNotice[] = [];
    const stop = await reader.watch(key, (n) => heard.push(n));
    const message = { id: '7', seq: 3, author: 'visitor' as const, authorName: 'Vera', kind: null, body: 'Hello?', createdAt: '2026-12-05T03:10:00.579Z' };
    await notify(redis, key, { seq: 2, what: 'message' });
    await notify(redis, key, { seq: 3, what: 'message', message });
    await notify(redis, key, { seq: null, what: 'closed' });
    const at = Date.now();
    while (heard.length < 3 && Date.now() - at < 3000) await new Promise((r) => setTimeout(r, 10));
    stop();
    t.deepEqual(heard, [{ seq: 2, what: 'message' }, { seq: 3, what: 'message', message }, { seq: null, what: 'closed' }]);
    t.is(JSON.stringify(heard[1]!.message), JSON.stringify(message));
  } finally {
    await redis.del(key);
    redis.disconnect();
  }
});
