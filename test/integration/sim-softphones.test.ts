import { createHash, randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import AsteriskManager from 'asterisk-manager';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { headerOf, parseDigest, type SipRequest, type SipResponse } from '../../src/sim/sip-message.ts';
import type { MediaSession } from '../../src/sim/webrtc-media.ts';
import { EventLog, restClient, sleep } from '../helpers/sim-ari.ts';
import { SipWsClient } from '../helpers/sip-ws-client.ts';

/**
 * Browser agents (webagentN) against what Asterisk 22.10.1 did with JsSIP (webrtc-agent trace): REGISTER 401 then
 * 200 (Expires 300), AMI reachability and device state, OPTIONS qualify, originate → INVITE to the browser, and the
 * causes of its answers; before registration and after the socket closes an originate is 500 "Allocation failed".
 */

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendrecv\r\n';
const canned = (): MediaSession => ({ answer: async () => SDP, offer: async () => SDP, accept: async () => undefined, audible: () => undefined, onAudio: () => undefined, relay: () => undefined, close: () => undefined });

async function setup(t: ExecutionContext) {
  const sim = await startSim({ timeScale: 0.1, webrtcMedia: canned });
  t.teardown(() => sim.close());
  const ami = AsteriskManager(sim.amiPort, '127.0.0.1', 'beckon', 'beckon', true);
  const amiEvents: Record<string, string>[] = [];
  ami.on('managerevent', (e: Record<string, string>) => amiEvents.push(e));
  t.teardown(() => ami.disconnect());
  const app = await EventLog.open(sim, 'callback');
  t.teardown(() => app.close());
  await sleep(100);
  return { sim, app, amiEvents, rest: restClient(sim) };
}

async function amiSeen(events: Record<string, string>[], want: Record<string, string>): Promise<boolean> {
  const hit = () => events.some((e) => Object.entries(want).every(([k, v]) => e[k] === v));
  for (let i = 0; i < 150 && !hit(); i++) await sleep(20);
  return hit();
}

/** REGISTER as JsSIP does: unauthenticated first, then with the digest answer to the 401. */
async function register(sim: Sim, name: string, password: string, expires = 300): Promise<{ sip: SipWsClient; final: SipResponse; first: SipResponse }> {
  const sip = await SipWsClient.connect(sim.ariUrl);
  const callId = randomBytes(8).toString('hex');
  const contact = `<sip:${randomBytes(4).toString('hex')}@${randomBytes(5).toString('hex')}.invalid;transport=ws>;+sip.ice;reg-id=1;expires=${expires}`;
  const req = (cseq: number, auth?: string): SipRequest => ({
    kind: 'request', method: 'REGISTER', uri: 'sip:127.0.0.1',
    headers: [['Via', sip.via()], ['Max-Forwards', '69'], ['To', `<sip:${name}@127.0.0.1>`], ['From', `<sip:${name}@127.0.0.1>;tag=abc`],
      ['Call-ID', callId], ['CSeq', `${cseq} REGISTER`], ['Contact', contact], ['Expires', String(expires)], ...(auth ? [['Authorization', auth] as [string, string]] : [])],
    body: '',
  });
  sip.send(req(1));
  const first = await sip.response(callId, 401, 'REGISTER');
  const ch = parseDigest(headerOf(first.headers, 'WWW-Authenticate'));
  const ha1 = md5(`${name}:${ch.realm}:${password}`);
  const ha2 = md5('REGISTER:sip:127.0.0.1');
  const cnonce = 'c0ffee';
  const response = md5(`${ha1}:${ch.nonce}:00000001:${cnonce}:auth:${ha2}`);
  sip.send(req(2, `Digest algorithm=MD5, username="${name}", realm="${ch.realm}", nonce="${ch.nonce}", uri="sip:127.0.0.1", response="${response}", opaque="${ch.opaque}", qop=auth, cnonce="${cnonce}", nc=00000001`));
  const final = (await sip.waitFor((m) => m.kind === 'response' && headerOf(m.headers, 'Call-ID') === callId && m.status !== 401)) as SipResponse;
  return { sip, final, first };
}

test('unregistered: originate 500 Allocation failed, endpoint offline; REGISTER 401 → 200 Expires 300; Reachable, NOT_INUSE, OPTIONS at once', async (t) => {
  const { sim, amiEvents, rest } = await setup(t);
  t.like((await rest('GET', '/ari/endpoints/PJSIP/webagent1')).body, { state: 'offline' });
  t.deepEqual(await rest('POST', '/ari/channels?endpoint=PJSIP/webagent1&app=callback&appArgs=agent'), { status: 500, body: { error: 'Allocation failed' } });
  const bad = await register(sim, 'webagent1', 'wrong');
  t.is(bad.final.status, 403);
  bad.sip.close();
  const { sip, final, first } = await register(sim, 'webagent1', 'webagent1-secret');
  t.teardown(() => sip.close());
  t.regex(headerOf(first.headers, 'WWW-Authenticate')!, /^Digest realm="asterisk",nonce="/);
  t.is(final.status, 200);
  t.is(headerOf(final.headers, 'Expires'), '300');
  t.true(await amiSeen(amiEvents, { event: 'PeerStatus', peer: 'PJSIP/webagent1', peerstatus: 'Reachable' }));
  t.true(await amiSeen(amiEvents, { event: 'DeviceStateChange', device: 'PJSIP/webagent1', state: 'NOT_INUSE' }));
  await sip.request('OPTIONS');
  t.like((await rest('GET', '/ari/endpoints/PJSIP/webagent1')).body, { state: 'online' });
});

test('originate → INVITE with SDP to the browser; 180; 200 → StasisStart ["agent"], INUSE; ARI hangs up → BYE with Reason cause 16', async (t) => {
  const { sim, app, amiEvents, rest } = await setup(t);
  const { sip } = await register(sim, 'webagent1', 'webagent1-secret');
  t.teardown(() => sip.close());
  t.is((await rest('POST', '/ari/channels?endpoint=PJSIP/webagent1&app=callback&appArgs=agent&channelId=agent-web-ans&callerId=%22Callback%20Lab%22%20%3C15550001111%3E')).status, 200);
  const invite = await sip.request('INVITE');
  t.is(headerOf(invite.headers, 'Content-Type'), 'application/sdp');
  t.regex(headerOf(invite.headers, 'From')!, /^"Callback Lab" <sip:15550001111@/);
  sip.respond(invite, 180, 'Ringing', [['Contact', '<sip:x@y.invalid;transport=ws>']]);
  await app.waitFor((e) => e.type === 'Dial' && e.dialstatus === 'RINGING');
  sip.respond(invite, 200, 'OK', [['Contact', '<sip:x@y.invalid;transport=ws>'], ['Content-Type', 'application/sdp']], SDP);
  const start = await app.waitFor((e) => e.type === 'StasisStart');
  t.deepEqual(start.args, ['agent']);
  t.is(start.channel.state, 'Up');
  await sip.request('ACK');
  t.true(await amiSeen(amiEvents, { event: 'DeviceStateChange', device: 'PJSIP/webagent1', state: 'INUSE' }));
  await rest('DELETE', '/ari/channels/agent-web-ans');
  const bye = await sip.request('BYE');
  t.is(headerOf(bye.headers, 'Reason'), 'Q.850;cause=16');
  t.like(await app.destroyed('agent-web-ans'), { cause: 16 });
});

test('the browser refuses: 480 → cause 19, 486 → 17 BUSY, 603 → 21; no answer by the timeout → CANCEL with cause 19', async (t) => {
  const { sim, app, rest } = await setup(t);
  const { sip } = await register(sim, 'webagent2', 'webagent2-secret');
  t.teardown(() => sip.close());
  const cases: Array<[number, number, string]> = [[480, 19, 'NOANSWER'], [486, 17, 'BUSY'], [603, 21, 'NOANSWER']];
  const answered = new Set<string>();
  for (const [status, cause, dialstatus] of cases) {
    const id = `agent-web-rej${status}`;
    await rest('POST', `/ari/channels?endpoint=PJSIP/webagent2&app=callback&appArgs=agent&channelId=${id}`);
    const invite = (await sip.waitFor((m) => m.kind === 'request' && m.method === 'INVITE' && !answered.has(headerOf(m.headers, 'Call-ID')!))) as SipRequest;
    answered.add(headerOf(invite.headers, 'Call-ID')!);
    sip.respond(invite, 180, 'Ringing');
    sip.respond(invite, status, 'No');
    t.like(await app.destroyed(id), { cause, tech_cause: status }, String(status));
    t.true(app.events.some((e) => e.type === 'Dial' && e.peer?.id === id && e.dialstatus === dialstatus));
  }
  await rest('POST', '/ari/channels?endpoint=PJSIP/webagent2&app=callback&appArgs=agent&channelId=agent-web-noans&timeout=5');
  const cancel = await sip.request('CANCEL');
  t.is(headerOf(cancel.headers, 'Reason'), 'Q.850;cause=19');
  t.like(await app.destroyed('agent-web-noans'), { cause: 19 });
});

test('the browser hangs up (BYE) an unbridged answered call: cause 0; closing the page removes the contact: Unreachable, UNAVAILABLE, 500', async (t) => {
  const { sim, app, amiEvents, rest } = await setup(t);
  const { sip } = await register(sim, 'webagent3', 'webagent3-secret');
  await rest('POST', '/ari/channels?endpoint=PJSIP/webagent3&app=callback&appArgs=agent&channelId=agent-web-bye');
  const invite = await sip.request('INVITE');
  sip.respond(invite, 200, 'OK', [['Contact', '<sip:x@y.invalid;transport=ws>'], ['Content-Type', 'application/sdp']], SDP);
  await app.waitFor((e) => e.type === 'StasisStart');
  const ack = await sip.request('ACK');
  sip.send({ kind: 'request', method: 'BYE', uri: 'sip:127.0.0.1', body: '', headers: [['Via', sip.via()], ['From', headerOf(ack.headers, 'To')!], ['To', headerOf(ack.headers, 'From')!], ['Call-ID', headerOf(ack.headers, 'Call-ID')!], ['CSeq', '9 BYE']] });
  t.like(await app.destroyed('agent-web-bye'), { cause: 0 });
  sip.close();
  t.true(await amiSeen(amiEvents, { event: 'PeerStatus', peer: 'PJSIP/webagent3', peerstatus: 'Unreachable' }));
  t.true(await amiSeen(amiEvents, { event: 'DeviceStateChange', device: 'PJSIP/webagent3', state: 'UNAVAILABLE' }));
  t.is((await rest('POST', '/ari/channels?endpoint=PJSIP/webagent3&app=callback&appArgs=agent')).status, 500);
});

test('a frozen tab (OPTIONS unanswered) goes Unreachable; the next answered OPTIONS makes it Reachable again', async (t) => {
  const { sim, amiEvents, rest } = await setup(t);
  const { sip } = await register(sim, 'webagent1', 'webagent1-secret');
  t.teardown(() => sip.close());
  await sip.request('OPTIONS');
  sip.autoAnswer = false;
  t.true(await amiSeen(amiEvents, { event: 'PeerStatus', peer: 'PJSIP/webagent1', peerstatus: 'Unreachable' }));
  t.is((await rest('POST', '/ari/channels?endpoint=PJSIP/webagent1&app=callback&appArgs=agent')).status, 500);
  sip.autoAnswer = true;
  const n = amiEvents.filter((e) => e.event === 'PeerStatus' && e.peerstatus === 'Reachable').length;
  for (let i = 0; i < 150 && amiEvents.filter((e) => e.event === 'PeerStatus' && e.peerstatus === 'Reachable').length === n; i++) await sleep(20);
  t.true(amiEvents.filter((e) => e.event === 'PeerStatus' && e.peerstatus === 'Reachable').length > n);
});

test('PUT /sim/webagents/:name sets an account and its password (per-session credentials); DELETE removes it', async (t) => {
  const { sim, rest } = await setup(t);
  const put = await fetch(`${sim.ariUrl}/sim/webagents/webagent9`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'p9-session' }) });
  t.is(put.status, 204);
  t.like((await rest('GET', '/ari/endpoints/PJSIP/webagent9')).body, { state: 'offline' });
  const wrong = await register(sim, 'webagent9', 'webagent9-secret');
  t.is(wrong.final.status, 403);
  wrong.sip.close();
  const right = await register(sim, 'webagent9', 'p9-session');
  t.teardown(() => right.sip.close());
  t.is(right.final.status, 200);
  t.like((await rest('GET', '/ari/endpoints/PJSIP/webagent9')).body, { state: 'online' });
  t.is((await fetch(`${sim.ariUrl}/sim/webagents/webagent9`, { method: 'DELETE' })).status, 204);
  t.is((await rest('POST', '/ari/channels?endpoint=PJSIP/webagent9&app=callback&appArgs=agent')).status, 500);
});
