import test from 'ava';
import { startStack, postJson, getJson, type Stack } from '../helpers/stack.ts';
import { openSse } from '../helpers/sse-client.ts';
import { redisKeys } from '../../src/platform/redis-keys.ts';
import { notify } from '../../src/chat/chat-stream.ts';
import { listMessages, postMessage } from '../../src/chat/chat.repository.ts';

/*
 * A conversation's stream forwards the messages its stream entries carry without reading PostgreSQL, and reads
 * PostgreSQL when an entry is missing, carries no message, or repeats one already sent: each message still
 * arrives once, in order, with its number as the event id.
 */
let s: Stack;

test.before(async () => {
  s = await startStack({ label: 'chat_gaps', worker: false, env: { CHAT_MESSAGES_PER_MIN: '1000', CHAT_MESSAGES_PER_IP_MIN: '1000' } });
});
test.after.always(async () => { await s?.close(); });

async function startChat() {
  const page = await getJson(s.base, '/c/demo/chat');
  const formToken = /data-form-token="([^"]+)"/.exec(page.text)?.[1];
  const r = await postJson(s.base, '/chat/start', { subscriber: 'demo', formToken, name: 'Vera', body: 'Hello?' });
  if (r.status !== 201) throw new Error(`start: ${r.status} ${r.text}`);
  return r.json as { id: string; token: string };
}
const say = (c: { id: string; token: string }, body: string) => postJson(s.base, `/chat/${c.id}/messages`, { token: c.token, body });

test.serial('a message stored without its stream entry reaches the stream with the next one, in order, once', async (t) => {
  const c = await startChat();
  const sse = await openSse(`${s.base}/chat/${c.id}/events?token=${encodeURIComponent(c.token)}`);
  await sse.waitFor((e) => e.length >= 1);
  // As if the XADD after the commit was lost: the message is stored, its entry never written.
  const lost = await postMessage(s.c.pool, { conversationId: c.id, author: 'visitor', authorName: 'Vera', body: 'lost entry' });
  t.truthy(lost);
  t.is((await say(c, 'after the gap')).status, 201);
  await sse.waitFor((e) => e.length >= 3);
  // An entry repeating a message already sent, and one without a message: nothing is sent twice.
  const key = redisKeys(s.config.REDIS_PREFIX).chatConversation(c.id);
  await notify(s.c.redis, key, { seq: lost!.message.seq, what: 'message', message: lost!.message });
  await notify(s.c.redis, key, { seq: null, what: 'closed' });
  t.is((await say(c, 'last')).status, 201);
  await sse.waitFor((e) => e.length >= 4);
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(sse.events.map((e) => e.data.body), ['Hello?', 'lost entry', 'after the gap', 'last']);
  t.deepEqual(sse.events.map((e) => Number(e.id)), [1, 2, 3, 4]);
  // What the stream forwarded is what PostgreSQL holds.
  t.deepEqual(sse.events.map((e) => e.data), JSON.parse(JSON.stringify(await listMessages(s.c.pool, c.id))));
  sse.close();
});

test.serial('the chat.message event is the message as stored, recorded by the same statement', async (t) => {
  const c = await startChat();
  const r = await say(c, 'for the webhook');
  t.is(r.status, 201);
  const m = r.json.message;
  const { rows } = await s.c.pool.query(`SELECT subscriber_id, data, created_at FROM webhook_events WHERE source_key = $1`, [`chat.message:${m.id}`]);
  t.is(rows.length, 1);
  t.deepEqual(rows[0].data, { conversationId: c.id, requestId: null, author: 'visitor', authorName: 'Vera', body: 'for the webhook', seq: m.seq, at: m.createdAt });
  t.is((rows[0].created_at as Date).toISOString(), m.createdAt);
  // A system message makes no event.
  const sys = await postMessage(s.c.pool, { conversationId: c.id, author: 'system', authorName: null, body: 'note', kind: 'joined' });
  t.deepEqual(sys!.endpoints, []);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM webhook_events WHERE source_key = $1`, [`chat.message:${sys!.message.id}`])).rows[0].n, 0);
});
