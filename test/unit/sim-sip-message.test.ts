import test from 'ava';
import { formatSip, headerOf, headersOf, parseCSeq, parseDigest, parseNameAddr, parseSip, responseTo, tagOf, uriUser, type SipRequest } from '../../src/sim/sip-message.ts';
import { linearToUlaw, toneFrame } from '../../src/sim/tone.ts';
import { loopbackOnly, narrowbandEventPt, onlyNarrowbandEvents, telephoneEventDigit } from '../../src/sim/webrtc-media.ts';

// An INVITE as JsSIP 3.13.8 sent it to Asterisk (webrtc-inbound trace), SDP shortened.
const INVITE = [
  'INVITE sip:callback@127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/WS 4faufr0ndfgo.invalid;branch=z9hG4bK4207148',
  'Max-Forwards: 69',
  'To: <sip:callback@127.0.0.1>',
  'From: "Web Visitor" <sip:visitor@localhost>;tag=ncl63724cb',
  'Call-ID: nidsrg0hcqsi55lh8lmg',
  'CSeq: 9354 INVITE',
  'X-Beckon-Ticket: abc123',
  'Contact: <sip:uj56nri9@4faufr0ndfgo.invalid;transport=ws;ob>',
  'Content-Type: application/sdp',
  'Content-Length: 10',
  '',
  'v=0\r\ns=-\r\n',
].join('\r\n');

test('parses a JsSIP INVITE: start line, headers, body by Content-Length', (t) => {
  const m = parseSip(INVITE) as SipRequest;
  t.is(m.kind, 'request');
  t.is(m.method, 'INVITE');
  t.is(m.uri, 'sip:callback@127.0.0.1');
  t.is(headerOf(m.headers, 'x-beckon-ticket'), 'abc123');
  t.is(headerOf(m.headers, 'call-id'), 'nidsrg0hcqsi55lh8lmg');
  t.is(m.body, 'v=0\r\ns=-\r\n');
  t.deepEqual(parseCSeq(headerOf(m.headers, 'CSeq')), { seq: 9354, method: 'INVITE' });
  t.is(uriUser(m.uri), 'callback');
  t.deepEqual(parseNameAddr(headerOf(m.headers, 'From')), { name: 'Web Visitor', uri: 'sip:visitor@localhost' });
  t.is(tagOf(headerOf(m.headers, 'From')), 'ncl63724cb');
  t.is(tagOf(headerOf(m.headers, 'To')), '');
});

test('compact header names expand; folded lines join; repeated headers keep their order', (t) => {
  const m = parseSip('OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/WS x;branch=1\r\nVia: SIP/2.0/WS y;branch=2\r\ni: abc\r\nSubject: one\r\n two\r\nl: 0\r\n\r\n');
  t.deepEqual(headersOf(m.headers, 'Via'), ['SIP/2.0/WS x;branch=1', 'SIP/2.0/WS y;branch=2']);
  t.is(headerOf(m.headers, 'Call-ID'), 'abc');
  t.is(headerOf(m.headers, 'Subject'), 'one two');
});

test('responses parse; formatting writes Content-Length from the body and round-trips', (t) => {
  const r = parseSip('SIP/2.0 180 Ringing\r\nCall-ID: x\r\nContent-Length:  0\r\n\r\n');
  t.like(r, { kind: 'response', status: 180, reason: 'Ringing', body: '' });
  const req = parseSip(INVITE) as SipRequest;
  const text = formatSip({ ...req, body: 'v=0\r\n' });
  t.regex(text, /Content-Length: 5\r\n\r\nv=0\r\n$/);
  t.is((parseSip(text) as SipRequest).body, 'v=0\r\n');
  t.throws(() => parseSip('HELLO\r\n\r\n'));
});

test('a response copies Via (marked received), From, Call-ID, CSeq and gives To a tag once', (t) => {
  const req = parseSip(INVITE) as SipRequest;
  const res = responseTo(req, 180, 'Ringing', { toTag: 'tt' });
  t.is(headerOf(res.headers, 'Via'), 'SIP/2.0/WS 4faufr0ndfgo.invalid;rport;received=127.0.0.1;branch=z9hG4bK4207148');
  t.is(headerOf(res.headers, 'To'), '<sip:callback@127.0.0.1>;tag=tt');
  t.is(headerOf(res.headers, 'CSeq'), '9354 INVITE');
  const again = responseTo({ ...req, headers: res.headers.map(([k, v]) => [k, v]) }, 200, 'OK', { toTag: 'other' });
  t.is(headerOf(again.headers, 'To'), '<sip:callback@127.0.0.1>;tag=tt');
});

test('digest parameters, quoted or not', (t) => {
  t.deepEqual(parseDigest('Digest algorithm=MD5, username="webagent1", realm="asterisk", nonce="n1", uri="sip:127.0.0.1", response="abc", qop=auth, cnonce="c", nc=00000001'), {
    algorithm: 'MD5', username: 'webagent1', realm: 'asterisk', nonce: 'n1', uri: 'sip:127.0.0.1', response: 'abc', qop: 'auth', cnonce: 'c', nc: '00000001',
  });
});

test('µ-law: silence, extremes; the tone frame is 160 bytes (20 ms at 8 kHz) and not silent', (t) => {
  t.is(linearToUlaw(0), 0xff);
  t.is(linearToUlaw(32767), 0x80);
  t.is(linearToUlaw(-32768), 0x00);
  const f = toneFrame();
  t.is(f.length, 160);
  t.true(new Set(f).size > 5);
});

test('the SDP answer keeps only the 127.0.0.1 host candidate', (t) => {
  const sdp = ['m=audio 9 UDP/TLS/RTP/SAVPF 0', 'a=candidate:1 1 udp 2 192.0.2.2 5000 typ host', 'a=candidate:2 1 udp 2 127.0.0.1 5001 typ host', 'a=setup:active'].join('\r\n');
  t.deepEqual(loopbackOnly(sdp).split('\r\n'), ['m=audio 9 UDP/TLS/RTP/SAVPF 0', 'a=candidate:2 1 udp 2 127.0.0.1 5001 typ host', 'a=setup:active']);
});

test('RFC 4733 telephone-events: the key once the end bit is set', (t) => {
  t.is(telephoneEventDigit(Buffer.from([5, 0x0a, 0x03, 0x20])), null, 'not ended yet');
  t.is(telephoneEventDigit(Buffer.from([5, 0x8a, 0x06, 0x40])), '5');
  t.is(telephoneEventDigit(Buffer.from([10, 0x8a, 0x06, 0x40])), '*');
  t.is(telephoneEventDigit(Buffer.from([11, 0x8a, 0x06, 0x40])), '#');
  t.is(telephoneEventDigit(Buffer.from([16, 0x8a, 0x06, 0x40])), null, 'not a key');
});

test('the offer handed to werift keeps only telephone-event/8000 (chromium also offers 48000)', (t) => {
  const offer = ['m=audio 9 UDP/TLS/RTP/SAVPF 111 0 110 126', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:110 telephone-event/48000',
    'a=fmtp:110 0-15', 'a=rtpmap:126 telephone-event/8000', 'a=sendrecv'].join('\r\n');
  t.deepEqual(onlyNarrowbandEvents(offer).split('\r\n'), ['m=audio 9 UDP/TLS/RTP/SAVPF 111 0 126', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:126 telephone-event/8000', 'a=sendrecv']);
  t.is(narrowbandEventPt(offer), 126);
});
