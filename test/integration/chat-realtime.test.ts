import test from 'ava';
import { startStack, postJson, getJson, request, type Stack } from '../helpers/stack.ts';
import { createContainer, type Container } from '../../src/main/container.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWeb, type WebHandle } from '../../src/main/web.ts';
import { openSse } from '../helpers/sse-client.ts';
import { webClient } from '../helpers/web-client.ts';
import { verifiedSignUp } from '../helpers/subscribers.ts';
import { addAgent } from '../helpers/agents.ts';
import { setAgentStatus } from '../../src/agents/agent.repository.ts';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';
import { DEMO_AGENT } from '../../src/agents/demo-agent.ts';
import { until } from '../helpers/wait-for.ts';

/*
 * Live chat through two web processes on one database and Redis (as behind a load balancer): what is posted to
 * one reaches a stream open on the other, in order, once; a reconnect resumes after its Last-Event-ID; the
 * limits hold; agents get conversations by routing; an owner's inbox shows only its own conversations.
 */
let s: Stack;
let c2: Container;
let web2: WebHandle;
let base2: string;

test.before(async () => {
  s = await startStack({
    label: 'chat_rt',
    env: { CHAT_MESSAGES_PER_MIN: '12', CHAT_STARTS_PER_IP_HOUR: '100', CHAT_MESSAGES_PER_IP_MIN: '1000', CHAT_ANSWER_TIMEOUT_SEC: '5', CHAT_CHECK_INTERVAL_MS: '200', CHAT_MAX_PER_AGENT: '1' },
  });
  c2 = createContainer(loadConfig(s.env), { log: createLogger('silent') });
  web2 = await startWeb(c2, {}, 0);
  base2 = `http://127.0.0.1:${web2.port}`;
});
test.after.always(async () => {
  await web2?.stop().catch(() => {});
  await c2?.close().catch(() => {});
  await s?.close();
});

/** A conversation started from the hosted chat page of `slug`, with the form token the page carries. */
async function startChat(base: string, body: Record<string, unknown> = {}, slug = 'demo') {
  const page = await getJson(base, `/c/${slug}/chat`);
  const formToken = /data-form-token="([^"]+)"/.exec(page.text)?.[1];
  const r = await postJson(base, '/chat/start', { subscriber: slug, formToken, name: 'Vera', body: 'Hello?', ...body });
  if (r.status !== 201) throw new Error(`start: ${r.status} ${r.text}`);
  return r.json as { id: string; token: string };
}
const say = (base: string, c: { id: string; token: string }, body: string) => postJson(base, `/chat/${c.id}/messages`, { token: c.token, body });
const events = (base: string, c: { id: string; token: string }, headers: Record<string, string> = {}) =>
  openSse(`${base}/chat/${c.id}/events?token=${encodeURIComponent(c.token)}`, headers);

test.serial('a message posted to one web process reaches a stream on the other, in order, each once', async (t) => {
  const c = await startChat(s.base);
  const sse = await events(base2, c);
  t.is(sse.status, 200);
  await sse.waitFor((e) => e.length >= 1);
  t.like(sse.events[0]!.data, { seq: 1, author: 'visitor', body: 'Hello?' });
  // Alternating processes, then all at once through both.
  for (let i = 0; i < 4; i++) t.is((await say(i % 2 ? base2 : s.base, c, `line ${i}`)).status, 201);
  await Promise.all([0, 1, 2, 3, 4, 5].map((i) => say(i % 2 ? s.base : base2, c, `burst ${i}`)));
  await sse.waitFor((e) => e.length >= 11);
  const seqs = sse.events.map((e) => e.data.seq);
  t.deepEqual(seqs, [...Array(11).keys()].map((i) => i + 1));
  t.deepEqual(sse.events.map((e) => Number(e.id)), seqs);
  t.deepEqual(sse.events.slice(1, 5).map((e) => e.data.body), ['line 0', 'line 1', 'line 2', 'line 3']);
  sse.close();
});

test.serial('a reconnect with Last-Event-ID gets what followed it, then the live messages', async (t) => {
  const c = await startChat(s.base);
  for (const line of ['two', 'three', 'four']) await say(s.base, c, line);
  const sse = await events(base2, c, { 'last-event-id': '2' });
  await sse.waitFor((e) => e.length >= 2);
  t.deepEqual(sse.events.map((e) => e.data.body), ['three', 'four']);
  await say(s.base, c, 'five');
  await sse.waitFor((e) => e.length >= 3);
  t.deepEqual(sse.events.map((e) => e.data.seq), [3, 4, 5]);
  sse.close();
});

test.serial('limits: size, plain text, rate per conversation, the form token and the conversation token', async (t) => {
  const c = await startChat(s.base);
  const long = await say(s.base, c, 'x'.repeat(2001));
  t.is(long.status, 400);
  t.is(long.json.error.fields[0].code, 'message_too_long');
  t.is((await say(s.base, c, '   ')).status, 400);
  const html = '<img src=x onerror=alert(1)>';
  t.is((await say(s.base, c, html)).status, 201);
  const stored = await getJson(s.base, `/chat/${c.id}?token=${encodeURIComponent(c.token)}`);
  t.is(stored.json.messages.at(-1).body, html);
  // 12 a minute: 1 accepted above, 11 more pass, the next is refused.
  for (let i = 0; i < 11; i++) t.is((await say(base2, c, `m${i}`)).status, 201);
  const over = await say(s.base, c, 'one too many');
  t.is(over.status, 429);
  t.is(over.json.error.code, 'chat_rate_limited');
  t.is((await postJson(s.base, `/chat/${c.id}/messages`, { token: 'wrong', body: 'hi' })).status, 404);
  t.is((await getJson(s.base, `/chat/${c.id}/events?token=wrong`)).status, 404);
  const noToken = await postJson(s.base, '/chat/start', { subscriber: 'demo', body: 'hi' });
  t.is(noToken.status, 400);
  t.is(noToken.json.error.code, 'form_token_missing');
});

test.serial('routing: the available agent gets the conversation up to its limit; its reply reaches the visitor', async (t) => {
  const demoAgent = (await s.c.pool.query(`SELECT id FROM agents WHERE login = $1`, [DEMO_AGENT.login])).rows[0].id;
  // The earlier tests' conversations would wait for this agent first (oldest first): they are over.
  await s.c.pool.query(`UPDATE chat_conversations SET status = 'closed', closed_at = now() WHERE status = 'open'`);
  await setAgentStatus(s.c.pool, demoAgent, 'available');
  const agent = webClient(base2);
  await agent.go('/agent/login');
  t.is((await agent.form('/agent/login', { login: DEMO_AGENT.login, password: DEMO_AGENT.password })).status, 302);
  await agent.go('/agent');
  const first = await startChat(s.base, { body: 'Are you there?' });
  const list = await agent.go('/agent/chats/list');
  const mine = list.json.conversations.find((x: any) => x.id === first.id);
  t.is(mine.agentId, demoAgent);
  // CHAT_MAX_PER_AGENT=1: the next one waits for someone to take it.
  const second = await startChat(s.base, { body: 'Me too' });
  t.is((await agent.go('/agent/chats/list')).json.conversations.find((x: any) => x.id === second.id).agentId, null);
  t.is((await agent.api(`/agent/chats/${second.id}/take`, {})).status, 409);

  const visitor = await events(s.base, first);
  t.is((await agent.api(`/agent/chats/${first.id}/messages`, { body: 'Yes, how can I help?' })).status, 201);
  await visitor.waitFor((e) => e.some((x) => x.data.author === 'agent'));
  // The visitor read who took the conversation, after its own first message.
  t.deepEqual(visitor.events.slice(0, 2).map((x) => [x.data.author, x.data.body]), [['visitor', 'Are you there?'], ['system', 'Demo Agent joined the conversation.']]);
  t.like(visitor.events.find((x) => x.data.author === 'agent')!.data, { authorName: 'Demo Agent', body: 'Yes, how can I help?' });
  // Closing frees the agent: the worker's routing pass gives it the waiting one.
  t.is((await agent.api(`/agent/chats/${first.id}/close`, {})).status, 200);
  await visitor.waitFor((e) => e.some((x) => x.data.kind === 'closed'));
  t.true(await until(async () => (await agent.go('/agent/chats/list')).json.conversations.find((x: any) => x.id === second.id)?.agentId === demoAgent, 5000));
  t.is((await say(s.base, first, 'still there?')).status, 409);
  visitor.close();
  await setAgentStatus(s.c.pool, demoAgent, 'away');
  await agent.api(`/agent/chats/${second.id}/close`, {});
});

test.serial('a call-back asked from one conversation five times at once is made once; a number someone else waits on gets no conversation attached', async (t) => {
  const c = await startChat(s.base, { body: 'Call me please' });
  const ua = { 'user-agent': 'Mozilla/5.0 chat visitor' };
  const asks = await Promise.all(Array.from({ length: 5 }, (_, i) => postJson(i % 2 ? base2 : s.base, `/chat/${c.id}/callback`, { token: c.token, phone: '+1 202 555 0178', consent: true }, ua)));
  t.deepEqual(asks.map((r) => r.status).sort(), [202, 409, 409, 409, 409], asks.map((r) => r.text).join('\n'));
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM callback_requests WHERE phone_e164 = '+12025550178'`)).rows[0].n, 1);
  const made = asks.find((r) => r.status === 202)!.json.id;
  t.is((await s.c.pool.query(`SELECT callback_request_id FROM chat_conversations WHERE id = $1`, [c.id])).rows[0].callback_request_id, made);

  // Someone else (another client) asked for this number first: the chat is told it is waiting, and its
  // transcript is not attached to that stranger's request.
  t.is((await request(s.base, '+1 202 555 0179', { scheduledAt: new Date(Date.now() + 3600_000).toISOString() })).status, 202);
  const other = await startChat(s.base, { body: 'Change my address' });
  const dup = await postJson(s.base, `/chat/${other.id}/callback`, { token: other.token, phone: '+1 202 555 0179', consent: true }, ua);
  t.is(dup.status, 202, dup.text);
  t.true(dup.json.duplicate);
  t.is((await s.c.pool.query(`SELECT callback_request_id FROM chat_conversations WHERE id = $1`, [other.id])).rows[0].callback_request_id, null);
});

test.serial('nobody answers in time: the visitor is offered a call-back, takes it, and chat.message events are recorded', async (t) => {
  const c = await startChat(s.base, { body: 'Anyone?' });
  const sse = await events(base2, c);
  await sse.waitFor((e) => e.some((x) => x.data.kind === 'unanswered'), 15_000);
  const r = await postJson(base2, `/chat/${c.id}/callback`, { token: c.token, phone: '+1 202 555 0177', consent: true });
  t.is(r.status, 202, r.text);
  t.regex(r.json.statusUrl, /^\/c\/demo\/status\/[0-9a-f-]{36}\?token=/);
  await sse.waitFor((e) => e.some((x) => x.data.kind === 'callback'));
  const row = (await s.c.pool.query(`SELECT phone_e164 FROM callback_requests WHERE id = $1`, [r.json.id])).rows[0];
  t.is(row.phone_e164, '+12025550177');
  t.is((await postJson(base2, `/chat/${c.id}/callback`, { token: c.token, phone: '+1 202 555 0177', consent: true })).status, 409);
  const ev = await until(async () => (await s.c.pool.query(`SELECT data FROM webhook_events WHERE type = 'chat.message' AND data->>'conversationId' = $1`, [c.id])).rows, 5000);
  t.is(ev[0].data.body, 'Anyone?');
  sse.close();
});

test.serial('the inbox: an owner reads and answers its own conversations only', async (t) => {
  const other = await verifiedSignUp(s);
  const demoChat = await startChat(s.base, { body: 'For the demo shop' });
  const otherChat = await startChat(s.base, { body: 'For the other shop' }, other.slug);
  const owner = webClient(s.base);
  await owner.go('/login');
  t.is((await owner.form('/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password })).status, 303);
  t.is((await owner.go('/portal/inbox')).status, 200);
  const ids = (await owner.go('/portal/inbox/chats/list')).json.conversations.map((x: any) => x.id);
  t.true(ids.includes(demoChat.id));
  t.false(ids.includes(otherChat.id));
  t.is((await owner.go(`/portal/inbox/chats/${otherChat.id}`)).status, 404);
  t.is((await owner.api(`/portal/inbox/chats/${otherChat.id}/messages`, { body: 'peek' })).status, 404);
  t.is((await owner.go(`/portal/inbox/chats/${otherChat.id}/events`)).status, 404);
  const visitor = await events(base2, demoChat);
  t.is((await owner.api(`/portal/inbox/chats/${demoChat.id}/messages`, { body: 'Hello from the owner' })).status, 201);
  await visitor.waitFor((e) => e.some((x) => x.data.author === 'owner'));
  visitor.close();
  // Reports: the conversations of the period and the median time to a first answer.
  const started = (await s.c.pool.query(`SELECT count(*)::int AS n FROM chat_conversations c JOIN subscribers s ON s.id = c.subscriber_id WHERE s.slug = 'demo'`)).rows[0].n;
  const report = await owner.go('/portal/reports');
  t.is(/data-kpi="chats">(\d+)</.exec(report.text)?.[1], String(started));
  t.regex(report.text, /data-kpi="chat-first-response">\d+ s</);
});

test.serial('from a status page: the conversation is linked to the request; its transcript shows on the request page and to agents', async (t) => {
  const created = (await request(s.base, '+1 202 555 0188', { name: 'Rita' })).json;
  t.is((await postJson(base2, '/chat/start', { requestId: created.id, requestToken: 'wrong', body: 'x' })).status, 404);
  const started = await postJson(base2, '/chat/start', {
    requestId: created.id, requestToken: created.statusToken, body: 'Can you call after 5 <pm>?', pageUrl: `${s.base}/c/demo/status/${created.id}?token=${created.statusToken}`,
  });
  t.is(started.status, 201);
  // Who and where come from the request; the status page's address (and its token) is never stored.
  const row = (await s.c.pool.query(`SELECT visitor_name, visitor_phone, page_url, request_id FROM chat_conversations WHERE id = $1`, [started.json.id])).rows[0];
  t.deepEqual(row, { visitor_name: 'Rita', visitor_phone: '+12025550188', page_url: 'http://localhost/pricing', request_id: created.id });
  const page = await getJson(s.base, `/c/demo/status/${created.id}?token=${encodeURIComponent(created.statusToken)}`);
  t.regex(page.text, new RegExp(`data-request-id="${created.id}"`));
  const owner = webClient(s.base);
  await owner.go('/login');
  await owner.form('/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password });
  const detail = await owner.go(`/portal/requests/${created.id}`);
  t.regex(detail.text, /id="chats"/);
  t.regex(detail.text, /Can you call after 5 &lt;pm&gt;\?/);
  const agent = webClient(s.base);
  await agent.go('/agent/login');
  await agent.form('/agent/login', { login: DEMO_AGENT.login, password: DEMO_AGENT.password });
  const of = await agent.go(`/agent/chats/of-request/${created.id}`);
  t.deepEqual(of.json.chats[0].lines.map((l: any) => l.body), ['Can you call after 5 <pm>?']);
  const stranger = await verifiedSignUp(s);
  t.is((await stranger.client.get(`/portal/requests/${created.id}`)).status, 404);
});
