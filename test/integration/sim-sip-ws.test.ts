import test, { type ExecutionContext } from 'ava';
import AsteriskManager from 'asterisk-manager';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { startSim } from '../../src/sim/index.ts';
import { headerOf, type SipResponse } from '../../src/sim/sip-message.ts';
import type { MediaSession } from '../../src/sim/webrtc-media.ts';
import { EventLog, restClient, sleep } from '../helpers/sim-ari.ts';
import { SipWsClient, describe } from '../helpers/sip-ws-client.ts';

/**
 * A browser's call over SIP/WebSocket (`/ws`, subprotocol sip) to the anonymous endpoint, against what Asterisk
 * 22.10.1 answered JsSIP (webrtc-inbound, webrtc-ari-hangup, webrtc-edge traces). Signalling tests answer SDP
 * with a canned session; the media test uses werift on both sides.
 */

const INBOUND = 'beckon-inbound';
const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0 126\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n';
const ANSWER = 'v=0\r\no=- 5 5 IN IP4 127.0.0.1\r\ns=Asterisk\r\nt=0 0\r\nm=audio 20116 UDP/TLS/RTP/SAVPF 0 126\r\na=setup:active\r\na=sendrecv\r\n';

function cannedMedia(log: string[]): () => MediaSession {
  return () => ({
    answer: async () => ANSWER,
    offer: async () => OFFER,
    accept: async () => undefined,
    audible: (on) => log.push(on ? 'audio on' : 'audio off'),
    onAudio: () => undefined,
    relay: () => undefined,
    close: () => log.push('closed'),
  });
}

async function setup(t: ExecutionContext, media?: () => MediaSession) {
  const audio: string[] = [];
  const sim = await startSim({ timeScale: 0.1, webrtcMedia: media ?? cannedMedia(audio) });
  t.teardown(() => sim.close());
  const app = await EventLog.open(sim, INBOUND);
  const sip = await SipWsClient.connect(sim.ariUrl);
  t.teardown(() => { app.close(); sip.close(); });
  return { sim, app, sip, rest: restClient(sim), audio };
}

test('the WebSocket needs the sip subprotocol; a double CRLF keep-alive is answered with one CRLF', async (t) => {
  const { sip } = await setup(t);
  t.is(sip.ws.protocol, 'sip');
  const pong = new Promise<string>((resolve) => sip.ws.once('message', (d) => resolve(String(d))));
  sip.sendRaw('\r\n\r\n');
  t.is(await pong, '\r\n');
});

test('INVITE → 100 Trying and StasisStart with the ticket; ring → 180; answer → 200 with SDP; ACK; the browser BYE ends it', async (t) => {
  const { sim, app, sip, rest, audio } = await setup(t);
  const { callId, req } = sip.invite('callback', OFFER, [['X-Beckon-Ticket', 'abc123']]);
  await sip.response(callId, 100);
  const start = await app.waitFor((e) => e.type === 'StasisStart');
  t.deepEqual(start.args, ['webcall', 'abc123']);
  t.like(start.channel, { state: 'Ring', protocol_id: callId, caller: { name: 'Web Visitor', number: 'visitor' } });
  const id = start.channel.id as string;
  await sleep(100);
  t.deepEqual(sip.received.map(describe), ['100 INVITE'], 'nothing but 100 Trying until the app acts');

  await rest('POST', `/ari/channels/${id}/ring`);
  const ringing = await sip.response(callId, 180);
  t.truthy(/;tag=/.exec(headerOf(ringing.headers, 'To') ?? ''));
  await rest('POST', `/ari/channels/${id}/answer`);
  const ok = await sip.response(callId, 200);
  t.is(headerOf(ok.headers, 'Content-Type'), 'application/sdp');
  t.is(ok.body, ANSWER);
  t.is(headerOf(ok.headers, 'To'), headerOf(ringing.headers, 'To'), 'one dialog');
  sip.inDialog('ACK', req, ok);

  await rest('POST', `/ari/channels/${id}/play/pb1?media=sound:hello-world`);
  await app.waitFor((e) => e.type === 'PlaybackFinished');
  await sleep(120);
  t.deepEqual(audio, ['audio on', 'audio off'], 'media flows only while something plays');

  const bye = sip.inDialog('BYE', req, ok);
  await sip.response(callId, 200, 'BYE');
  await app.waitFor((e) => e.type === 'StasisEnd');
  t.truthy(bye);
  t.deepEqual(app.events.filter((e) => e.channel?.id === id && e.type.startsWith('Channel')).map((e) => e.type), ['ChannelStateChange', 'ChannelHangupRequest']);
  t.like(sim.calls().find((c) => c.channelId === id), { state: 'ended', cause: 16, sip: ['180 Ringing', '200 OK'] });
});

test('the app hangs up: unanswered by reason (603, 486 with Reason Q.850), answered with a BYE carrying cause 16', async (t) => {
  const { app, sip, rest } = await setup(t);
  for (const [reason, status, cause] of [['normal', 603, 16], ['busy', 486, 17]] as const) {
    const { callId } = sip.invite('callback', OFFER, [['X-Beckon-Ticket', 't']]);
    const start = await app.waitFor((e) => e.type === 'StasisStart' && e.channel.protocol_id === callId);
    await rest('DELETE', `/ari/channels/${start.channel.id}?reason=${reason}`);
    const final = await sip.response(callId, status);
    t.is(headerOf(final.headers, 'Reason'), `Q.850;cause=${cause}`);
  }
  const { callId, req } = sip.invite('callback', OFFER);
  const start = await app.waitFor((e) => e.type === 'StasisStart' && e.channel.protocol_id === callId);
  await rest('POST', `/ari/channels/${start.channel.id}/answer`);
  const ok = await sip.response(callId, 200);
  sip.inDialog('ACK', req, ok);
  await rest('DELETE', `/ari/channels/${start.channel.id}`);
  const bye = await sip.request('BYE', callId);
  t.is(headerOf(bye.headers, 'Reason'), 'Q.850;cause=16');
  t.is(headerOf(bye.headers, 'To'), headerOf(req.headers, 'From'));
});

test('CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE, cause 127 in ARI; play before answer sends 183 with SDP', async (t) => {
  const { app, sip, rest } = await setup(t);
  const { callId, req } = sip.invite('callback', OFFER, [['X-Beckon-Ticket', 'c']]);
  const start = await app.waitFor((e) => e.type === 'StasisStart');
  await rest('POST', `/ari/channels/${start.channel.id}/ring`);
  await sip.response(callId, 180);
  sip.cancel(req);
  await sip.response(callId, 200, 'CANCEL');
  await sip.response(callId, 487);
  t.like(await app.waitFor((e) => e.type === 'ChannelHangupRequest'), { cause: 127, tech_cause: 487 });
  await app.waitFor((e) => e.type === 'StasisEnd');

  const early = sip.invite('callback', OFFER, [['X-Beckon-Ticket', 'e']]);
  const s2 = await app.waitFor((e) => e.type === 'StasisStart' && e.channel.protocol_id === early.callId);
  await rest('POST', `/ari/channels/${s2.channel.id}/play/pb-early?media=sound:hello-world`);
  const progress = await sip.response(early.callId, 183);
  t.is(progress.body, ANSWER);
});

test('refusals: no socket for the inbound app 603, an unknown extension 404, no ticket header gives args ["webcall",""]', async (t) => {
  const { app, sip } = await setup(t);
  const unknown = sip.invite('nosuchext', OFFER);
  const notFound = await sip.response(unknown.callId, 404);
  t.is(headerOf(notFound.headers, 'Reason'), undefined);
  const bare = sip.invite('callback', OFFER);
  t.deepEqual((await app.waitFor((e) => e.type === 'StasisStart' && e.channel.protocol_id === bare.callId)).args, ['webcall', '']);
  app.close();
  await app.closed;
  await sleep(50);
  const orphan = sip.invite('callback', OFFER, [['X-Beckon-Ticket', 'x']]);
  const declined = await sip.response(orphan.callId, 603);
  t.is(headerOf(declined.headers, 'Reason'), 'Q.850;cause=16');
});

test('DTMF by SIP INFO reaches the app as ChannelDtmfReceived; the browser socket closing hangs the call up', async (t) => {
  const { app, sip, rest } = await setup(t);
  const { callId, req } = sip.invite('callback', OFFER);
  const start = await app.waitFor((e) => e.type === 'StasisStart');
  await rest('POST', `/ari/channels/${start.channel.id}/answer`);
  const ok = await sip.response(callId, 200);
  sip.inDialog('ACK', req, ok);
  sip.inDialog('INFO', req, ok, 'Signal=7\r\nDuration=200\r\n', [['Content-Type', 'application/dtmf-relay']]);
  await sip.response(callId, 200, 'INFO');
  t.is((await app.waitFor((e) => e.type === 'ChannelDtmfReceived')).digit, '7');
  sip.close();
  await app.waitFor((e) => e.type === 'StasisEnd');
  t.pass();
});

test('media: a werift browser gets a DTLS-SRTP answer with one 127.0.0.1 host candidate and PCMU packets only while a playback runs', async (t) => {
  t.timeout(30_000);
  const sim2 = await startSim({ timeScale: 0.5 });
  t.teardown(() => sim2.close());
  const app2 = await EventLog.open(sim2, INBOUND);
  const sip2 = await SipWsClient.connect(sim2.ariUrl);
  t.teardown(() => { app2.close(); sip2.close(); });
  const rest2 = restClient(sim2);

  const browser = new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 })], video: [] },
    iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false,
  });
  t.teardown(() => void browser.close());
  const transceiver = browser.addTransceiver('audio', { direction: 'sendrecv' });
  let packets = 0;
  transceiver.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => { packets++; }));
  await browser.setLocalDescription(await browser.createOffer());
  await browser.iceGatheringStateChange.watch((s) => s === 'complete', 8000).catch(() => undefined);

  const { callId, req } = sip2.invite('callback', browser.localDescription!.sdp, [['X-Beckon-Ticket', 'm']]);
  const start = await app2.waitFor((e) => e.type === 'StasisStart');
  await rest2('POST', `/ari/channels/${start.channel.id}/answer`);
  const ok = (await sip2.response(callId, 200)) as SipResponse;
  sip2.inDialog('ACK', req, ok);
  const candidates = ok.body.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
  t.is(candidates.length, 1);
  t.regex(candidates[0]!, / 127\.0\.0\.1 \d+ typ host/);
  t.regex(ok.body, /a=setup:active/);
  t.regex(ok.body, /a=rtpmap:0 PCMU\/8000/);
  await browser.setRemoteDescription({ type: 'answer', sdp: ok.body });
  await browser.connectionStateChange.watch((s) => s === 'connected', 10_000);
  await sleep(500);
  t.is(packets, 0, 'silence: no RTP');
  await rest2('POST', `/ari/channels/${start.channel.id}/play/pb-m?media=sound:hello-world`);
  await app2.waitFor((e) => e.type === 'PlaybackFinished', 10_000);
  await sleep(300);
  const during = packets;
  t.true(during > 20, `packets while playing: ${during}`);
  await sleep(500);
  t.true(packets - during <= 3, 'nothing once it stopped');
});

test('browser hold (re-INVITE a=sendonly): 200 with SDP, ChannelHold {musicclass:"default"}, the bridged leg hears music on hold; sendrecv: ChannelUnhold', async (t) => {
  const { sim, app, sip, rest } = await setup(t);
  const ami = AsteriskManager(sim.amiPort, '127.0.0.1', 'beckon', 'beckon', true);
  const amiEvents: Record<string, string>[] = [];
  ami.on('managerevent', (e: Record<string, string>) => amiEvents.push(e));
  t.teardown(() => ami.disconnect());
  const { callId, req } = sip.invite('callback', OFFER, [['X-Beckon-Ticket', 'h']]);
  const start = await app.waitFor((e) => e.type === 'StasisStart');
  const id = start.channel.id as string;
  await rest('POST', `/ari/channels/${id}/answer`);
  const ok = await sip.response(callId, 200);
  sip.inDialog('ACK', req, ok);
  await rest('POST', `/ari/channels?endpoint=PJSIP/15551234566@carrier&app=${INBOUND}&channelId=carrier-hold`);
  await app.waitFor((e) => e.type === 'StasisStart' && e.channel.id === 'carrier-hold');
  await rest('POST', '/ari/bridges?type=mixing&bridgeId=b-hold');
  await rest('POST', `/ari/bridges/b-hold/addChannel?channel=${id},carrier-hold`);
  await sleep(100);
  sip.inDialog('INVITE', req, ok, OFFER.replace('a=sendrecv', 'a=sendonly'), [['Content-Type', 'application/sdp']]);
  await sip.waitFor((m) => m.kind === 'response' && m.status === 200 && headerOf(m.headers, 'CSeq')!.startsWith(`${Number(headerOf(req.headers, 'CSeq')!.split(' ')[0]) + 1} `));
  t.like(await app.waitFor((e) => e.type === 'ChannelHold'), { musicclass: 'default', channel: { id } });
  for (let i = 0; i < 50 && !amiEvents.some((e) => e.event === 'MusicOnHoldStart' && e.uniqueid === 'carrier-hold'); i++) await sleep(20);
  t.true(amiEvents.some((e) => e.event === 'Hold' && e.uniqueid === id && e.musicclass === 'default'));
  t.true(amiEvents.some((e) => e.event === 'MusicOnHoldStart' && e.uniqueid === 'carrier-hold'));
  sip.inDialog('INVITE', req, ok, OFFER, [['Content-Type', 'application/sdp']]);
  t.like(await app.waitFor((e) => e.type === 'ChannelUnhold'), { channel: { id } });
});
