import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { EventLog, restClient, sleep } from '../helpers/sim-ari.ts';

/**
 * A real browser (Debian chromium, fake microphone) running JsSIP 3.13.8 calls the simulator's SIP/WebSocket
 * endpoint as the lab's browser called Asterisk 22 (webrtc-inbound trace): the call reaches StasisStart with its
 * ticket, is answered, ICE/DTLS connect with werift, and getStats() shows inbound audio only while a playback runs.
 */

let sim: Sim;
let browser: Browser;
let page: http.Server;
let pageUrl: string;

test.before(async () => {
  sim = await startSim({ timeScale: 0.5 });
  const bundle = await build({
    stdin: { contents: "import JsSIP from 'jssip'; (window as any).JsSIP = JsSIP;", loader: 'ts', resolveDir: process.cwd() },
    bundle: true, format: 'iife', platform: 'browser', write: false,
  });
  const js = bundle.outputFiles[0]!.text;
  page = http.createServer((req, res) => {
    if (req.url === '/jssip.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(js); return; }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>call</title><script src="/jssip.js"></script>');
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://localhost:${(page.address() as AddressInfo).port}/`;
  browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection']);
});
test.after.always(async () => {
  await browser?.close();
  page?.close();
  await sim?.close();
});

test.serial('JsSIP calls sip:callback@127.0.0.1 with a ticket: StasisStart, answer, ICE connected, inbound audio only while a playback runs', async (t) => {
  t.timeout(60_000);
  const app = await EventLog.open(sim, 'beckon-inbound');
  t.teardown(() => app.close());
  const rest = restClient(sim);
  const tab = await browser.newPage();
  await tab.goto(pageUrl);
  const wsUrl = `${sim.ariUrl.replace(/^http/, 'ws')}/ws`;
  await tab.evaluate((url) => {
    const w = window as any;
    w.log = [];
    const ua = new w.JsSIP.UA({ sockets: [new w.JsSIP.WebSocketInterface(url)], uri: 'sip:visitor@localhost', display_name: 'Web Visitor', register: false, session_timers: false });
    ua.start();
    ua.on('connected', () => {
      const session = ua.call('sip:callback@127.0.0.1', {
        extraHeaders: ['X-Beckon-Ticket: abc123'], mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] },
      });
      w.session = session;
      for (const ev of ['progress', 'accepted', 'confirmed', 'ended', 'failed']) session.on(ev, (e: any) => w.log.push(`${ev}${e?.cause ? `:${e.cause}` : ''}`));
      session.on('peerconnection', () => undefined);
    });
    w.inbound = async () => {
      const stats = await w.session.connection.getStats();
      let packets = 0;
      let state = '';
      stats.forEach((s: any) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived;
        if (s.type === 'transport') state = s.dtlsState;
      });
      return { packets, state, ice: w.session.connection.iceConnectionState };
    };
  }, wsUrl);

  const start = await app.waitFor((e) => e.type === 'StasisStart', 15_000);
  t.deepEqual(start.args, ['webcall', 'abc123']);
  t.like(start.channel, { state: 'Ring', caller: { name: 'Web Visitor', number: 'visitor' } });
  await rest('POST', `/ari/channels/${start.channel.id}/ring`);
  await tab.waitForFunction(() => (window as any).log.includes('progress'));
  await rest('POST', `/ari/channels/${start.channel.id}/answer`);
  await tab.waitForFunction(() => (window as any).log.includes('confirmed'), undefined, { timeout: 10_000 });
  // Media could flow once DTLS is up (SRTP keys); ICE alone comes first, and on a loaded machine well before it.
  await tab.waitForFunction(async () => {
    const s = await (window as any).inbound();
    return ['connected', 'completed'].includes(s.ice) && s.state === 'connected';
  }, undefined, { timeout: 10_000 });
  await sleep(800);
  const silent = await tab.evaluate(() => (window as any).inbound());
  t.is(silent.packets, 0, 'nothing plays: no RTP');
  t.is(silent.state, 'connected', 'DTLS connected');

  await rest('POST', `/ari/channels/${start.channel.id}/play/pb-web?media=sound:hello-world`);
  await app.waitFor((e) => e.type === 'PlaybackFinished', 10_000);
  // Statistics trail the packets; what was received during the playback shows within a few seconds. About 35
  // packets at this time scale, far fewer on a loaded machine (the sender is paced by timers): any at all, where
  // none came while nothing played, is audio that follows the playback.
  await tab.waitForFunction(async () => (await (window as any).inbound()).packets > 0, undefined, { timeout: 5_000 }).catch(() => {});
  const heard = await tab.evaluate(() => (window as any).inbound());
  t.log(`inbound packets during hello-world: ${heard.packets}`);
  t.true(heard.packets > 0);

  // DTMF both ways JsSIP sends it: RFC 4733 in the media, and SIP INFO.
  await tab.evaluate(() => (window as any).session.sendDTMF('5', { transportType: 'RFC2833' }));
  t.is((await app.waitFor((e) => e.type === 'ChannelDtmfReceived', 5000)).digit, '5');
  await tab.evaluate(() => (window as any).session.sendDTMF('7'));
  t.is((await app.waitFor((e) => e.type === 'ChannelDtmfReceived' && e.digit === '7', 5000)).digit, '7');

  await tab.evaluate(() => (window as any).session.terminate());
  await app.waitFor((e) => e.type === 'StasisEnd');
  t.true(await tab.evaluate(() => (window as any).log.some((l: string) => l.startsWith('ended'))));
  await tab.close();
});

test.serial('JsSIP registers as webagent1 and answers an originate: StasisStart ["agent"], ICE connected, audio while a playback runs; BYE from ARI ends it', async (t) => {
  t.timeout(60_000);
  const app = await EventLog.open(sim, 'callback');
  t.teardown(() => app.close());
  const rest = restClient(sim);
  const tab = await browser.newPage();
  await tab.goto(pageUrl);
  const wsUrl = `${sim.ariUrl.replace(/^http/, 'ws')}/ws`;
  t.is((await rest('POST', '/ari/channels?endpoint=PJSIP/webagent1&app=callback&appArgs=agent')).status, 500, 'not registered yet');
  await tab.evaluate((url) => {
    const w = window as any;
    w.log = [];
    const ua = new w.JsSIP.UA({ sockets: [new w.JsSIP.WebSocketInterface(url)], uri: 'sip:webagent1@127.0.0.1', password: 'webagent1-secret', register: true, session_timers: false });
    ua.on('registered', () => w.log.push('registered'));
    ua.on('newRTCSession', (e: any) => {
      if (e.originator !== 'remote') return;
      w.session = e.session;
      e.session.on('ended', (x: any) => w.log.push(`ended:${x.cause}`));
      e.session.on('confirmed', () => w.log.push('confirmed'));
      w.log.push('incoming');
    });
    ua.start();
    w.inbound = async () => {
      const stats = await w.session.connection.getStats();
      let packets = 0;
      let dtls = '';
      stats.forEach((s: any) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived;
        if (s.type === 'transport') dtls = s.dtlsState;
      });
      return { packets, ice: w.session.connection.iceConnectionState, dtls };
    };
  }, wsUrl);
  await tab.waitForFunction(() => (window as any).log.includes('registered'), undefined, { timeout: 10_000 });
  t.like((await rest('GET', '/ari/endpoints/PJSIP/webagent1')).body, { state: 'online' });
  t.is((await rest('POST', '/ari/channels?endpoint=PJSIP/webagent1&app=callback&appArgs=agent&channelId=agent-web')).status, 200);
  await tab.waitForFunction(() => (window as any).log.includes('incoming'), undefined, { timeout: 10_000 });
  await app.waitFor((e) => e.type === 'Dial' && e.dialstatus === 'RINGING');
  await tab.evaluate(() => (window as any).session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } }));
  const start = await app.waitFor((e) => e.type === 'StasisStart' && e.channel.id === 'agent-web', 15_000);
  t.deepEqual(start.args, ['agent']);
  // Media flows only once DTLS is up (SRTP keys); ICE alone is not enough on a loaded machine.
  await tab.waitForFunction(async () => {
    const s = await (window as any).inbound();
    return ['connected', 'completed'].includes(s.ice) && s.dtls === 'connected';
  }, undefined, { timeout: 10_000 });
  await rest('POST', '/ari/channels/agent-web/play/pb-agent?media=sound:hello-world');
  await app.waitFor((e) => e.type === 'PlaybackFinished', 10_000);
  // Statistics trail the packets; what was received during the playback shows within a few seconds. About 35
  // packets at this time scale, far fewer on a loaded machine (the sender is paced by timers): any at all, where
  // none came while nothing played, is audio that follows the playback.
  await tab.waitForFunction(async () => (await (window as any).inbound()).packets > 0, undefined, { timeout: 5_000 }).catch(() => {});
  const heard = await tab.evaluate(() => (window as any).inbound());
  t.log(`agent inbound packets during hello-world: ${heard.packets}`);
  t.true(heard.packets > 0);
  await rest('DELETE', '/ari/channels/agent-web');
  await tab.waitForFunction(() => (window as any).log.some((l: string) => l.startsWith('ended')), undefined, { timeout: 10_000 });
  t.like(await app.destroyed('agent-web'), { cause: 16 });
  await tab.close();
});

test.serial('a visitor bridged with a browser agent: both connected, each hears the other (the simulator relays their audio)', async (t) => {
  t.timeout(60_000);
  const app = await EventLog.open(sim, 'beckon-inbound');
  t.teardown(() => app.close());
  const rest = restClient(sim);
  const wsUrl = `${sim.ariUrl.replace(/^http/, 'ws')}/ws`;
  const stats = async (tab: import('playwright-core').Page) => tab.evaluate(async () => {
    const stats = await (window as any).session.connection.getStats();
    let packets = 0;
    stats.forEach((s: any) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived; });
    return packets;
  });

  const agent = await browser.newPage();
  await agent.goto(pageUrl);
  await agent.evaluate((url) => {
    const w = window as any;
    w.log = [];
    const ua = new w.JsSIP.UA({ sockets: [new w.JsSIP.WebSocketInterface(url)], uri: 'sip:webagent2@127.0.0.1', password: 'webagent2-secret', register: true, session_timers: false });
    ua.on('registered', () => w.log.push('registered'));
    ua.on('newRTCSession', (e: any) => {
      if (e.originator !== 'remote') return;
      w.session = e.session;
      e.session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
    });
    ua.start();
  }, wsUrl);
  await agent.waitForFunction(() => (window as any).log.includes('registered'), undefined, { timeout: 10_000 });

  const visitor = await browser.newPage();
  await visitor.goto(pageUrl);
  await visitor.evaluate((url) => {
    const w = window as any;
    const ua = new w.JsSIP.UA({ sockets: [new w.JsSIP.WebSocketInterface(url)], uri: 'sip:visitor@localhost', display_name: 'Web Visitor', register: false, session_timers: false });
    ua.on('connected', () => {
      w.session = ua.call('sip:callback@127.0.0.1', { extraHeaders: ['X-Beckon-Ticket: bridge'], mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
    });
    ua.start();
  }, wsUrl);
  const start = await app.waitFor((e) => e.type === 'StasisStart' && e.args?.[1] === 'bridge', 15_000);
  const visitorId = start.channel.id as string;
  await rest('POST', `/ari/channels/${visitorId}/answer`);
  await rest('POST', '/ari/channels?endpoint=PJSIP/webagent2&app=beckon-inbound&appArgs=agent&channelId=agent-bridged');
  await app.waitFor((e) => e.type === 'StasisStart' && e.channel.id === 'agent-bridged', 15_000);
  await rest('POST', '/ari/bridges?type=mixing&bridgeId=b-browsers');
  t.is((await rest('POST', `/ari/bridges/b-browsers/addChannel?channel=${visitorId},agent-bridged`)).status, 204);
  // The relay runs while both are bridged; on a loaded machine the first packets may take a while to show.
  for (const until = Date.now() + 10_000; Date.now() < until;) {
    if (await stats(visitor) > 10 && await stats(agent) > 10) break;
    await sleep(250);
  }
  const heardByVisitor = await stats(visitor);
  const heardByAgent = await stats(agent);
  t.log(`visitor received ${heardByVisitor} packets, agent ${heardByAgent}`);
  t.true(heardByVisitor > 10);
  t.true(heardByAgent > 10);
  await visitor.evaluate(() => (window as any).session.terminate());
  await app.waitFor((e) => e.type === 'StasisEnd' && e.channel.id === visitorId);
  await rest('DELETE', '/ari/channels/agent-bridged');
  await visitor.close();
  await agent.close();
});
