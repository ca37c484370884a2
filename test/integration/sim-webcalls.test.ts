import test from 'ava';
import AsteriskManager from 'asterisk-manager';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { EventLog, restClient, sleep, type AriEvent } from '../helpers/sim-ari.ts';

/**
 * Inbound web calls without a browser (POST/DELETE /sim/webcalls), checked against what Asterisk 22.10.1 sent for a
 * JsSIP call to the anonymous endpoint (webrtc-inbound, webrtc-ari-hangup, webrtc-edge traces): StasisStart in
 * state Ring with ["webcall", ticket], what the browser is sent for ring/play/answer/hang-up, and a channel that
 * leaves the app at StasisEnd with no ChannelDestroyed.
 */

const INBOUND = 'beckon-inbound';

async function setup(t: import('ava').ExecutionContext) {
  const sim = await startSim({ timeScale: 0.1 });
  t.teardown(() => sim.close());
  const ami = AsteriskManager(sim.amiPort, '127.0.0.1', 'beckon', 'beckon', true);
  const amiEvents: Record<string, string>[] = [];
  ami.on('managerevent', (e: Record<string, string>) => amiEvents.push(e));
  t.teardown(() => ami.disconnect());
  await sleep(100);
  return { sim, rest: restClient(sim), amiEvents };
}

async function amiSeen(events: Record<string, string>[], want: Record<string, string>): Promise<boolean> {
  const hit = () => events.some((e) => Object.entries(want).every(([k, v]) => e[k] === v));
  for (let i = 0; i < 100 && !hit(); i++) await sleep(20);
  return hit();
}

const call = (sim: Sim, channelId: string) => sim.calls().find((c) => c.channelId === channelId)!;
const types = (log: EventLog, id: string) => log.events.filter((e) => e.channel?.id === id && e.type !== 'ChannelVarset').map((e) => e.type);

test('no socket for the inbound app: declined at once (603), AMI Hangup 16, nothing in ARI', async (t) => {
  const { sim, amiEvents } = await setup(t);
  t.deepEqual(sim.placeWebCall({ ticket: 'abc123' }), { channelId: null, status: 603 });
  t.true(await amiSeen(amiEvents, { event: 'Hangup', context: 'from-web', cause: '16' }));
  t.deepEqual(sim.placeWebCall({ exten: 'nosuchext' }), { channelId: null, status: 404 }, 'no such extension: 404, no channel');
});

test('StasisStart in Ring with the ticket; ring → 180 (still Ring); answer → Up and 200; the browser BYE ends it with no ChannelDestroyed', async (t) => {
  const { sim, rest, amiEvents } = await setup(t);
  const log = await EventLog.open(sim, INBOUND);
  t.teardown(() => log.close());
  const res = await fetch(`${sim.ariUrl}/sim/webcalls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ticket: 'abc123' }) });
  t.is(res.status, 201);
  const { channelId } = (await res.json()) as { channelId: string };
  const start = await log.waitFor((e) => e.type === 'StasisStart');
  t.deepEqual(start.args, ['webcall', 'abc123']);
  t.is(start.channel.id, channelId);
  t.regex(channelId, /^\d+\.\d+$/);
  t.regex(start.channel.name, /^PJSIP\/anonymous-[0-9a-f]{8}$/);
  t.like(start.channel, {
    state: 'Ring',
    caller: { name: 'Web Visitor', number: 'visitor' },
    connected: { name: '', number: '' },
    dialplan: { context: 'from-web', exten: 'callback', priority: 1, app_name: 'Stasis', app_data: `${INBOUND},webcall,abc123` },
  });
  t.false(log.events.some((e) => e.type === 'ChannelCreated'));
  t.true(await amiSeen(amiEvents, { event: 'Newchannel', uniqueid: channelId, channelstatedesc: 'Ring', context: 'from-web', exten: 'callback', calleridnum: 'visitor' }));
  t.deepEqual((await rest('GET', `/ari/channels/${channelId}/variable?variable=PJSIP_HEADER(read,X-Beckon-Ticket)`)).body, { value: 'abc123' });
  t.deepEqual(call(sim, channelId).sip, []);

  t.is((await rest('POST', `/ari/channels/${channelId}/ring`)).status, 204);
  t.is((await rest('GET', `/ari/channels/${channelId}`)).body.state, 'Ring');
  t.true(await amiSeen(amiEvents, { event: 'DeviceStateChange', device: 'PJSIP/anonymous', state: 'INUSE' }));
  t.is((await rest('POST', `/ari/channels/${channelId}/answer`)).status, 204);
  t.like(await log.waitFor((e) => e.type === 'ChannelStateChange'), { channel: { state: 'Up' } });
  t.deepEqual(call(sim, channelId).sip, ['180 Ringing', '200 OK']);

  await rest('POST', '/ari/channels?endpoint=PJSIP/15551234566@carrier&app=beckon-inbound&channelId=carrier-web');
  await log.waitFor((e) => e.type === 'StasisStart' && e.channel.id === 'carrier-web');
  await rest('POST', '/ari/bridges?type=mixing&bridgeId=bridge-web');
  t.is((await rest('POST', `/ari/bridges/bridge-web/addChannel?channel=${channelId},carrier-web`)).status, 204);

  t.is((await fetch(`${sim.ariUrl}/sim/webcalls/${channelId}`, { method: 'DELETE' })).status, 204);
  await log.waitFor((e) => e.type === 'StasisEnd' && e.channel.id === channelId);
  await sleep(200);
  const hangup = log.events.find((e) => e.type === 'ChannelHangupRequest' && e.channel.id === channelId)!;
  t.is(hangup.cause, undefined, 'a BYE carries no cause');
  t.deepEqual(types(log, channelId).slice(-3), ['ChannelHangupRequest', 'ChannelLeftBridge', 'StasisEnd']);
  t.false(log.events.some((e) => e.type === 'ChannelDestroyed' && e.channel.id === channelId));
  t.true(await amiSeen(amiEvents, { event: 'Hangup', uniqueid: channelId, cause: '16' }));
  t.true(await amiSeen(amiEvents, { event: 'DeviceStateChange', device: 'PJSIP/anonymous', state: 'UNAVAILABLE' }));
  t.is((await rest('GET', `/ari/channels/${channelId}`)).status, 404);
  t.is((await rest('GET', '/ari/bridges/bridge-web')).body.channels.length, 1, 'the other leg stays: the app hangs it up');
  t.like(call(sim, channelId), { endpoint: 'PJSIP/anonymous', ticket: 'abc123', state: 'ended', cause: 16 });
});

test('no ticket header: args ["webcall",""] and the header cannot be read; the app hangs up unanswered calls by reason', async (t) => {
  const { sim, rest, amiEvents } = await setup(t);
  const log = await EventLog.open(sim, INBOUND);
  t.teardown(() => log.close());
  const expected: Array<[string, string, string]> = [['normal', '603 Decline', '16'], ['busy', '486 Busy Here', '17'],
    ['congestion', '503 Service Unavailable', '34'], ['no_answer', '480 Temporarily Unavailable', '19']];
  for (const [reason, response, cause] of expected) {
    const { channelId } = sim.placeWebCall({});
    const start = await log.waitFor((e) => e.type === 'StasisStart' && e.channel.id === channelId);
    t.deepEqual(start.args, ['webcall', '']);
    t.is(start.channel.dialplan.app_data, `${INBOUND},webcall,`);
    const v = await rest('GET', `/ari/channels/${channelId}/variable?variable=PJSIP_HEADER(read,X-Beckon-Ticket)`);
    t.deepEqual(v, { status: 500, body: { message: 'Unable to read provided function' } });
    t.is((await rest('DELETE', `/ari/channels/${channelId}?reason=${reason}`)).status, 204);
    await log.waitFor((e) => e.type === 'StasisEnd' && e.channel.id === channelId);
    const req = log.events.find((e) => e.type === 'ChannelHangupRequest' && e.channel.id === channelId)!;
    t.like(req, { cause: 32, soft: true, channel: { state: 'Ring' } });
    t.deepEqual(call(sim, channelId!).sip, [response], reason);
    t.true(await amiSeen(amiEvents, { event: 'Hangup', uniqueid: channelId!, cause }), reason);
  }
  await sleep(200);
  t.false(log.events.some((e) => e.type === 'ChannelDestroyed'));
});

test('the browser cancels a ringing call: cause 127, tech_cause 487; early media before the answer is 183', async (t) => {
  const { sim, rest, amiEvents } = await setup(t);
  const log = await EventLog.open(sim, INBOUND);
  t.teardown(() => log.close());
  const { channelId } = sim.placeWebCall({ ticket: 't1' });
  await log.waitFor((e) => e.type === 'StasisStart');
  await rest('POST', `/ari/channels/${channelId}/ring`);
  sim.hangUpWebCall(channelId!);
  const req = await log.waitFor((e) => e.type === 'ChannelHangupRequest');
  t.like(req, { cause: 127, tech_cause: 487 });
  await log.waitFor((e) => e.type === 'StasisEnd');
  t.true(await amiSeen(amiEvents, { event: 'Hangup', uniqueid: channelId!, cause: '127' }));

  const early = sim.placeWebCall({ ticket: 't2' });
  await log.waitFor((e) => e.type === 'StasisStart' && e.channel.id === early.channelId);
  t.is((await rest('POST', `/ari/channels/${early.channelId}/play/pb-early?media=sound:hello-world`)).status, 201);
  await rest('POST', `/ari/channels/${early.channelId}/answer`);
  t.deepEqual(call(sim, early.channelId!).sip, ['183 Session Progress', '200 OK']);
  await rest('DELETE', `/ari/channels/${early.channelId}`);
  t.deepEqual(call(sim, early.channelId!).sip, ['183 Session Progress', '200 OK', 'BYE Q.850;cause=16']);
});

test('moved from the inbound app to a worker app: the worker gets StasisStart with its args and the rest of the call; the inbound app nothing more', async (t) => {
  const { sim, rest } = await setup(t);
  const inbound = await EventLog.open(sim, INBOUND);
  const worker = await EventLog.open(sim, 'beckon-w2');
  t.teardown(() => { inbound.close(); worker.close(); });
  const { channelId } = sim.placeWebCall({ ticket: 'abc' });
  await inbound.waitFor((e) => e.type === 'StasisStart');
  t.is((await rest('POST', `/ari/channels/${channelId}/move?app=beckon-w2&appArgs=webcall,req-1`)).status, 204);
  const start = await worker.waitFor((e) => e.type === 'StasisStart');
  t.deepEqual(start.args, ['webcall', 'req-1']);
  t.is(start.channel.dialplan.app_data, `${INBOUND},webcall,abc`, 'app_data keeps what the dialplan gave');
  await rest('POST', `/ari/channels/${channelId}/answer`);
  await worker.waitFor((e) => e.type === 'ChannelStateChange');
  sim.hangUpWebCall(channelId!);
  await worker.waitFor((e) => e.type === 'StasisEnd');
  await sleep(150);
  t.deepEqual(types(inbound, channelId!), ['StasisStart', 'StasisEnd']);
  t.deepEqual(types(worker, channelId!), ['StasisStart', 'ChannelStateChange', 'ChannelHangupRequest', 'StasisEnd']);
});
