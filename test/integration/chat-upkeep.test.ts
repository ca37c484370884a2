import test from 'ava';
import { startStack, postJson, getJson, type Stack } from '../helpers/stack.ts';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { subscriberId } from '../helpers/subscribers.ts';
import { until } from '../helpers/wait-for.ts';
import { openSse } from '../helpers/sse-client.ts';
import { insertEndpoint } from '../../src/webhooks/webhook.repository.ts';
import { newWebhookSecret, verifySignature } from '../../src/webhooks/signature.ts';
import { createChatService } from '../../src/chat/chat.service.ts';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';

/*
 * The worker's side of chat as deployed: a conversation nobody answers in time gets the call-back offer and its
 * owner a real mail (SMTP server in the test); every message and the close reach a webhook endpoint signed and in
 * order; old conversations are deleted by the retention pass.
 */
let smtp: TestSmtp;
let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;
let s: Stack;
const secret = newWebhookSecret();

test.before(async () => {
  smtp = await startTestSmtp();
  rx = await startWebhookReceiver();
  s = await startStack({
    label: 'chat_upkeep',
    env: {
      SMTP_URL: smtp.url, CHAT_ANSWER_TIMEOUT_SEC: '5', CHAT_CHECK_INTERVAL_MS: '200', WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
      // Each test's visitor has an address of its own (X-Forwarded-For from the one proxy hop trusted).
      TRUST_PROXY: '1', CHAT_STARTS_PER_IP_HOUR: '3', CHAT_MESSAGES_PER_IP_MIN: '6',
    },
  });
  const demo = await subscriberId(s);
  await s.c.pool.query(`INSERT INTO notice_preferences (subscriber_id, chat_unanswered) VALUES ($1, true)
    ON CONFLICT (subscriber_id) DO UPDATE SET chat_unanswered = true`, [demo]);
  await insertEndpoint(s.c.pool, { subscriberId: demo, url: rx.url(), secret, events: ['chat.message', 'chat.closed'] });
});
test.after.always(async () => { await s?.close(); await smtp?.close(); await rx?.close(); });

const someIp = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

/** A conversation started from the hosted page by a visitor at `ip` (the form token is bound to it). */
async function tryStart(body: string, ip: string) {
  const page = await fetch(`${s.base}/c/demo/chat`, { headers: { 'x-forwarded-for': ip } }).then((r) => r.text());
  const formToken = /data-form-token="([^"]+)"/.exec(page)?.[1];
  return postJson(s.base, '/chat/start', { subscriber: 'demo', formToken, name: 'Nina Night', body }, { 'x-forwarded-for': ip });
}
const startChat = async (body: string, ip = someIp()) => (await tryStart(body, ip)).json as { id: string; token: string };

test.serial('nobody answers: the visitor is offered a call-back once and the owner gets one mail', async (t) => {
  const c = await startChat('Is anyone there tonight?');
  const sse = await openSse(`${s.base}/chat/${c.id}/events?token=${encodeURIComponent(c.token)}`);
  await sse.waitFor((e) => e.some((x) => x.data.kind === 'unanswered'), 15_000);
  const mail = await smtp.waitFor(DEMO_LOGIN.email, /nobody was online/, 20_000);
  t.truthy(mail);
  t.regex(mail!.mail.text ?? '', /Nina Night/);
  t.regex(mail!.mail.text ?? '', /Is anyone there tonight\?/);
  t.regex(mail!.mail.text ?? '', /\/portal\/inbox/);
  await new Promise((r) => setTimeout(r, 1000));
  t.is(sse.events.filter((x) => x.data.kind === 'unanswered').length, 1);
  t.is(smtp.mailsTo(DEMO_LOGIN.email).filter((m) => /nobody was online/.test(m.mail.subject ?? '')).length, 1);
  sse.close();
});

test.serial('webhooks: each message and the close, signed, in order', async (t) => {
  const c = await startChat('First line');
  await postJson(s.base, `/chat/${c.id}/messages`, { token: c.token, body: 'Second line' });
  await postJson(s.base, `/chat/${c.id}/close`, { token: c.token });
  const mine = () => rx.received.filter((r) => r.json?.data?.conversationId === c.id);
  await until(() => mine().length >= 3, 15_000);
  const got = mine();
  t.deepEqual(got.map((r) => r.json.type), ['chat.message', 'chat.message', 'chat.closed']);
  t.deepEqual(got.slice(0, 2).map((r) => r.json.data.body), ['First line', 'Second line']);
  t.like(got[2]!.json.data, { closedBy: 'visitor' });
  for (const r of got) t.true(verifySignature(String(r.headers['beckon-signature']), r.body, secret));
});

test.serial('retention: conversations past CHAT_RETENTION_DAYS go with their messages', async (t) => {
  const old = await startChat('Long ago');
  const fresh = await startChat('Just now');
  await s.c.pool.query(`UPDATE chat_conversations SET last_message_at = now() - interval '91 days' WHERE id = $1`, [old.id]);
  const chat = createChatService({ pool: s.c.pool, redis: s.c.redis, prefix: s.config.REDIS_PREFIX, log: s.c.log, config: s.config, notices: null });
  t.true((await chat.retentionPass()) >= 1);
  const left = (await s.c.pool.query(`SELECT id FROM chat_conversations WHERE id = ANY ($1)`, [[old.id, fresh.id]])).rows.map((r) => r.id);
  t.deepEqual(left, [fresh.id]);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM chat_messages WHERE conversation_id = $1`, [old.id])).rows[0].n, 0);
});

test.serial('per client IP: conversations started per hour, messages per minute across its conversations', async (t) => {
  const ip = someIp();
  const a = await startChat('one', ip);
  const b = await startChat('two', ip);
  t.is((await tryStart('three', ip)).status, 201);
  const fourth = await tryStart('four', ip);
  t.is(fourth.status, 429);
  t.is(fourth.json.error.code, 'chat_rate_limited');
  t.is((await tryStart('elsewhere', someIp())).status, 201);
  const say = (c: { id: string; token: string }, body: string) => postJson(s.base, `/chat/${c.id}/messages`, { token: c.token, body }, { 'x-forwarded-for': ip });
  for (let i = 0; i < 3; i++) {
    t.is((await say(a, `a${i}`)).status, 201);
    t.is((await say(b, `b${i}`)).status, 201);
  }
  t.is((await say(a, 'seventh')).status, 429);
  // Another address writing to the same conversation is not this one's limit.
  t.is((await postJson(s.base, `/chat/${b.id}/messages`, { token: b.token, body: 'from a phone' }, { 'x-forwarded-for': someIp() })).status, 201);
});
