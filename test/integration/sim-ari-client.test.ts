import { createRequire } from 'node:module';
import net from 'node:net';
import test from 'ava';
import ari from 'ari-client';
import { startSim, type Sim } from '../../src/sim/index.ts';

interface AriEvent {
  type: string;
  args?: string[];
  dialstatus?: string;
  cause?: number;
}
interface AriChannel {
  id: string;
  state: string;
}

let sim: Sim;
test.before(async () => {
  sim = await startSim({ timeScale: 0.2 });
});
test.after.always(async () => {
  await sim?.close();
});

function waitFor<T>(emitter: { on: (e: string, cb: (...a: any[]) => void) => void }, type: string, pred: (...a: any[]) => boolean = () => true): Promise<T[]> {
  return new Promise((resolve) => emitter.on(type, (...a: any[]) => pred(...a) && resolve(a as T[])));
}

test('ari-client loads the api-docs, originates, bridges and hangs up through the simulator', async (t) => {
  const client = await ari.connect(sim.ariUrl, 'beckon', 'beckon');
  const seen: string[] = [];
  client.on('Dial', (e: AriEvent) => seen.push(`Dial ${e.dialstatus}`));
  client.on('ChannelDestroyed', (e: AriEvent) => seen.push(`ChannelDestroyed ${e.cause}`));
  const started = waitFor<any>(client, 'StasisStart');
  await client.start('beckon-test');

  const info = await client.asterisk.getInfo();
  t.is(info.system.version.split('.')[0], '22');
  const app = await client.applications.get({ applicationName: 'beckon-test' });
  t.is(app.name, 'beckon-test');

  const channel: AriChannel = await client.channels.originate({
    endpoint: 'PJSIP/15551234565@carrier',
    app: 'beckon-test',
    appArgs: 'visitor,42',
    callerId: '"Beckon" <15550001111>',
    channelId: 'visitor-ari-client',
    variables: { 'CHANNEL(accountcode)': 'acct-7' },
  });
  t.is(channel.id, 'visitor-ari-client');
  t.is(channel.state, 'Down');

  const [event, stasisChannel] = await started;
  t.deepEqual(event.args, ['visitor', '42']);
  t.is(stasisChannel.id, 'visitor-ari-client');
  t.is(stasisChannel.state, 'Up');
  t.is(stasisChannel.accountcode, 'acct-7');
  t.deepEqual(sim.originates()[0]?.variables, { 'CHANNEL(accountcode)': 'acct-7' });

  const bridge = await client.bridges.create({ type: 'mixing', name: 'ari-client-test' });
  t.is(bridge.bridge_type, 'mixing');
  const entered = waitFor<any>(client, 'ChannelEnteredBridge');
  await client.bridges.addChannel({ bridgeId: bridge.id, channel: 'visitor-ari-client' });
  const [, enteredInstances] = await entered;
  t.is(enteredInstances.bridge.id, bridge.id);
  t.deepEqual((await client.bridges.get({ bridgeId: bridge.id })).channels, ['visitor-ari-client']);

  await client.bridges.startMoh({ bridgeId: bridge.id });
  await client.bridges.stopMoh({ bridgeId: bridge.id });
  await t.throwsAsync(client.bridges.stopMoh({ bridgeId: bridge.id }));

  const finished = waitFor<any>(client, 'PlaybackFinished');
  const playback = await client.channels.play({ channelId: 'visitor-ari-client', media: ['sound:hello-world', 'digits:12'], playbackId: 'pb-ari-client' });
  t.is(playback.id, 'pb-ari-client');
  const [fin] = await finished;
  t.is(fin.playback.media_uri, 'digits:12');

  const listed: AriChannel[] = await client.channels.list();
  t.deepEqual(listed.map((c) => c.id), ['visitor-ari-client']);
  t.true((await client.endpoints.list()).some((e: { resource: string }) => e.resource === 'agent1'));

  const destroyed = waitFor<any>(client, 'ChannelDestroyed');
  await client.channels.hangup({ channelId: 'visitor-ari-client' });
  const [gone] = await destroyed;
  t.is(gone.cause, 16);
  await client.bridges.destroy({ bridgeId: bridge.id });
  t.deepEqual(await client.bridges.list(), []);
  await t.throwsAsync(client.channels.get({ channelId: 'visitor-ari-client' }), { message: /Channel not found/ });
  t.deepEqual(seen, ['Dial ', 'Dial RINGING', 'Dial ANSWER', 'ChannelDestroyed 16']);
  await client.stop();
});

test('ari-client runs on the maintained HTTP layer: @cypress/request for its probe, cookiejar 2 under swagger-client', (t) => {
  const fromAri = createRequire(createRequire(import.meta.url).resolve('ari-client'));
  t.is(fromAri('request/package.json').name, '@cypress/request');
  const fromShred = createRequire(createRequire(fromAri.resolve('swagger-client')).resolve('shred'));
  t.is(fromShred('cookiejar/package.json').version.split('.')[0], '2');
});

test('ari-client reports an ARI that cannot be reached as HostIsNotReachable through that probe', async (t) => {
  // A port just freed: nothing listens there, so the probe's request is refused.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const err = await t.throwsAsync(ari.connect(`http://127.0.0.1:${port}`, 'beckon', 'beckon'));
  t.is(err?.name, 'HostIsNotReachable');
  t.is((err as NodeJS.ErrnoException).code, 'ECONNREFUSED');
});
