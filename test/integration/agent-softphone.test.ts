import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { startStack, type Stack } from '../helpers/stack.ts';
import { addAgent, agentClient } from '../helpers/agents.ts';
import { SipWsClient } from '../helpers/sip-ws-client.ts';
import { headerOf, parseDigest, type SipRequest, type SipResponse } from '../../src/sim/sip-message.ts';

/**
 * The console softphone's credentials: issued per session over the agent's own login, pushed to Asterisk with ARI
 * push configuration (the simulator's /asterisk/config/dynamic route), never readable by another agent, replaced at
 * every login and logout so an old password registers nothing.
 */
let s: Stack;
const PASSWORD = 'long enough password';

test.before(async () => {
  s = await startStack({ label: 'agentsoftphone' });
  await addAgent(s, { login: 'erin', password: PASSWORD });
  await addAgent(s, { login: 'frank', password: PASSWORD });
  await addAgent(s, { login: 'gwen', password: PASSWORD, endpoint: 'PJSIP/webagent2' });
});
test.after.always(async () => { await s?.close(); });

const md5 = (x: string) => createHash('md5').update(x).digest('hex');

/** REGISTER as JsSIP does (unauthenticated, then the digest answer to the 401); resolves with the final status. */
async function register(user: string, password: string): Promise<{ status: number; sip: SipWsClient }> {
  const sip = await SipWsClient.connect(s.sim.ariUrl);
  const callId = randomBytes(8).toString('hex');
  const req = (cseq: number, auth?: string): SipRequest => ({
    kind: 'request', method: 'REGISTER', uri: 'sip:127.0.0.1',
    headers: [['Via', sip.via()], ['Max-Forwards', '69'], ['To', `<sip:${user}@127.0.0.1>`], ['From', `<sip:${user}@127.0.0.1>;tag=t1`],
      ['Call-ID', callId], ['CSeq', `${cseq} REGISTER`], ['Contact', `<sip:x@${randomBytes(4).toString('hex')}.invalid;transport=ws>;expires=300`],
      ['Expires', '300'], ...(auth ? [['Authorization', auth] as [string, string]] : [])],
    body: '',
  });
  sip.send(req(1));
  const first = await sip.response(callId, 401, 'REGISTER');
  const ch = parseDigest(headerOf(first.headers, 'WWW-Authenticate'));
  const response = md5(`${md5(`${user}:${ch.realm}:${password}`)}:${ch.nonce}:00000001:c0ffee:auth:${md5('REGISTER:sip:127.0.0.1')}`);
  sip.send(req(2, `Digest algorithm=MD5, username="${user}", realm="${ch.realm}", nonce="${ch.nonce}", uri="sip:127.0.0.1", response="${response}", opaque="${ch.opaque}", qop=auth, cnonce="c0ffee", nc=00000001`));
  const final = (await sip.waitFor((m) => m.kind === 'response' && headerOf(m.headers, 'Call-ID') === callId && m.status !== 401)) as SipResponse;
  return { status: final.status, sip };
}

const row = async (login: string) => (await s.c.pool.query(`SELECT id, endpoint, desk_endpoint, device_state FROM agents WHERE login = $1`, [login])).rows[0];
const get = (c: Awaited<ReturnType<typeof agentClient>>) => c.go('/agent/softphone', { headers: { accept: 'application/json' } });

async function waitForState(login: string, state: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    last = (await row(login)).device_state;
    if (last === state) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  return last;
}

test.serial('answering in the browser issues this session credentials for a per-agent endpoint; they register and the device follows AMI', async (t) => {
  const erin = await agentClient(s.base, 'erin', PASSWORD);
  t.is((await get(erin)).status, 404, 'a new session answers on the desk phone');
  const on = await erin.api('/agent/softphone', { on: true });
  t.is(on.status, 200, on.text);
  const e = await row('erin');
  const name = `webagent-${e.id.replace(/-/g, '').slice(0, 12)}`;
  t.like(on.json, { user: name, uri: `sip:${name}@127.0.0.1`, wsUrl: s.config.WEBCALL_WS_URL });
  t.true(on.json.password.length >= 40);
  t.like(e, { endpoint: `PJSIP/${name}`, desk_endpoint: 'PJSIP/erin', device_state: 'UNAVAILABLE' });
  t.deepEqual((await get(erin)).json, on.json, 'the console script reads the same credentials again');
  // The console page never carries the password.
  t.false((await erin.go('/agent', { headers: { accept: 'text/html' } })).text.includes(on.json.password));

  t.is((await register(name, 'a guess')).status, 403);
  const { status, sip } = await register(name, on.json.password);
  t.is(status, 200);
  t.is(await waitForState('erin', 'NOT_INUSE'), 'NOT_INUSE', 'registered: offerable like a desk phone');
  sip.close();
  t.is(await waitForState('erin', 'UNAVAILABLE'), 'UNAVAILABLE', 'the page closed: not offered calls');

  // Back to the desk phone: the configured phone rings again and the password is replaced.
  t.is((await erin.api('/agent/softphone', { on: false })).status, 200);
  t.like(await row('erin'), { endpoint: 'PJSIP/erin', desk_endpoint: null, device_state: 'UNKNOWN' });
  t.is((await get(erin)).status, 404);
  t.is((await register(name, on.json.password)).status, 403);
});

test.serial('another agent cannot read them; a configured webagent endpoint is used as it is', async (t) => {
  const erin = await agentClient(s.base, 'erin', PASSWORD);
  const frank = await agentClient(s.base, 'frank', PASSWORD);
  const gwen = await agentClient(s.base, 'gwen', PASSWORD);
  const mine = (await erin.api('/agent/softphone', { on: true })).json;
  t.is((await get(frank)).status, 404);
  const his = (await frank.api('/agent/softphone', { on: true })).json;
  t.not(his.user, mine.user);
  t.not(his.password, mine.password);
  t.is((await get(erin)).json.password, mine.password);
  const hers = (await gwen.api('/agent/softphone', { on: true })).json;
  t.is(hers.user, 'webagent2');
  t.like(await row('gwen'), { endpoint: 'PJSIP/webagent2', desk_endpoint: 'PJSIP/webagent2' });
  t.is((await register('webagent2', 'webagent2-secret')).status, 403, 'the shipped password no longer works');
  const reg = await register('webagent2', hers.password);
  t.is(reg.status, 200);
  reg.sip.close();
  // Without a login nothing is handed out.
  const anon = await fetch(`${s.base}/agent/softphone`, { headers: { accept: 'application/json' } });
  t.is(anon.status, 401);
  for (const c of [erin, frank, gwen]) await c.api('/agent/softphone', { on: false });
});

test.serial('logout and a new login replace the password; the old session is left with none', async (t) => {
  const first = await agentClient(s.base, 'erin', PASSWORD);
  const issued = (await first.api('/agent/softphone', { on: true })).json;
  const second = await agentClient(s.base, 'erin', PASSWORD);
  t.is((await get(first)).status, 404, 'a new login of the same agent starts on the desk phone');
  t.like(await row('erin'), { endpoint: 'PJSIP/erin', desk_endpoint: null });
  t.is((await register(issued.user, issued.password)).status, 403);

  const again = (await second.api('/agent/softphone', { on: true })).json;
  t.not(again.password, issued.password);
  const out = await second.form('/agent/logout', {});
  t.is(out.status, 302);
  t.like(await row('erin'), { endpoint: 'PJSIP/erin', desk_endpoint: null });
  t.is((await register(again.user, again.password)).status, 403, 'logged out: the password registers nothing');
});

test.serial('the device cannot change under a call in hand', async (t) => {
  const frank = await agentClient(s.base, 'frank', PASSWORD);
  const f = await row('frank');
  // Frank is being rung for a call (a transfer target holds only the attempt).
  await s.c.pool.query(`UPDATE agents SET reserved_attempt = gen_random_uuid() WHERE id = $1`, [f.id]);
  const r = await frank.api('/agent/softphone', { on: true });
  t.is(r.status, 409);
  t.like(await row('frank'), { endpoint: 'PJSIP/frank', desk_endpoint: null });
  await s.c.pool.query(`UPDATE agents SET reserved_request = NULL, reserved_attempt = NULL WHERE id = $1`, [f.id]);
});
