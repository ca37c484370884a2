import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { addAgent, agentClient } from '../helpers/agents.ts';
import { ownerClient } from '../helpers/portal.ts';
import { openSse } from '../helpers/sse-client.ts';

/*
 * Signed-in accounts' event streams (the agent console's, the chat desk's, the portal inbox's) are capped per
 * account, whichever session opened them, and in all for the web process: beyond either cap a 429 that says
 * which, and a closed stream frees its place. Caps set low here: 3 per account, 5 in all.
 */
let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'signedstreams', worker: false, env: { STREAMS_PER_ACCOUNT: '3', STREAMS_SIGNED_IN_MAX: '5', TRUST_PROXY: 'true' } });
  await addAgent(s, { login: 'ann', password: 'ann password 1' });
  await addAgent(s, { login: 'bob', password: 'bob password 1' });
});
test.after.always(async () => { await s?.close(); });

type Sse = Awaited<ReturnType<typeof openSse>>;
const open = (path: string, cookie: string) => openSse(`${s.base}${path}`, { cookie });

test.serial('an agent holds at most 3 streams across the console and the chat desk, from any number of sessions', async (t) => {
  const first = await agentClient(s.base, 'ann', 'ann password 1');
  const second = await agentClient(s.base, 'ann', 'ann password 1');
  const held: Sse[] = [
    await open('/agent/events', first.cookie()),
    await open('/agent/chats/events', first.cookie()),
    await open('/agent/events', second.cookie()),
  ];
  t.deepEqual(held.map((x) => x.status), [200, 200, 200]);
  for (const [path, c] of [['/agent/events', second], ['/agent/chats/events', first]] as const) {
    const refused = await open(path, c.cookie());
    t.is(refused.status, 429, path);
    t.is(refused.refusal.error.code, 'too_many_streams');
    t.regex(refused.refusal.error.message, /already has 3 live connections open.*Close another console or inbox tab/);
    t.true(refused.refusal.error.retryAfterSec > 0);
  }
  held.shift()!.close();
  const reopened = await until200(() => open('/agent/events', first.cookie()));
  t.is(reopened.status, 200, 'a closed stream frees its place');
  for (const x of [...held, reopened]) x.close();
});

test.serial('the web process holds at most 5 signed-in streams in all: the next account is told the server is full', async (t) => {
  const ann = await agentClient(s.base, 'ann', 'ann password 1');
  const owner = await ownerClient(s.base);
  const cookie = owner.cookie();
  const held: Sse[] = [];
  // Wait for the first test's streams to be released (their sockets close asynchronously).
  held.push(await until200(() => open('/agent/events', ann.cookie())));
  held.push(await open('/agent/events', ann.cookie()), await open('/agent/chats/events', ann.cookie()));
  held.push(await open('/portal/inbox/chats/events', cookie), await open('/portal/inbox/chats/events', cookie));
  t.deepEqual(held.map((x) => x.status), [200, 200, 200, 200, 200]);
  const bob = await agentClient(s.base, 'bob', 'bob password 1');
  const refused = await open('/agent/events', bob.cookie());
  t.is(refused.status, 429);
  t.is(refused.refusal.error.code, 'too_many_streams');
  t.regex(refused.refusal.error.message, /This server holds too many live connections just now/);
  held.pop()!.close();
  const bobs = await until200(() => open('/agent/events', bob.cookie()));
  t.is(bobs.status, 200);
  for (const x of [...held, bobs]) x.close();
});

/** Opens until a stream is let through (a stream just closed by the client frees its place once the server sees the close). */
async function until200(openOne: () => Promise<Sse>, ms = 5000): Promise<Sse> {
  const deadline = Date.now() + ms;
  for (;;) {
    const x = await openOne();
    if (x.status === 200 || Date.now() > deadline) return x;
    await new Promise((r) => setTimeout(r, 50));
  }
}
