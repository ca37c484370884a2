import test from 'ava';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { EventLog, restClient } from '../helpers/sim-ari.ts';
import { simControl, type SimControl } from '../helpers/sim-control.ts';
import { pollUntil } from '../helpers/wait-for.ts';

// What a simulated phone heard and what a person does with it, through the control API (/sim/calls and
// /sim/channels/:id/answer|dtmf|hangup): the demo's phone page and tests read verification codes this way.

let sim: Sim;
let control: SimControl;
test.before(async () => {
  sim = await startSim({ timeScale: 0.1 });
  control = simControl(sim);
});
test.after.always(async () => {
  await sim?.close();
});

const callOf = async (id: string) => ((await control('GET', '/calls')).body as any[]).find((c) => c.channelId === id);

const until = <T>(read: () => Promise<T>, done: (v: T) => boolean) => pollUntil(read, done, 5000, 20);

test.serial('a ringing phone is answered by hand, hears the digits read to it, presses keys and hangs up', async (t) => {
  const rest = restClient(sim);
  const log = await EventLog.open(sim, 'phones');
  t.teardown(() => log.close());

  // Numbers ending in 9 ring until someone answers.
  t.is((await rest('POST', '/ari/channels?endpoint=PJSIP/12025550149@carrier&app=phones&channelId=ph-1&callerId=%22Beckon%22%20%3C0000%3E')).status, 200);
  const ringing = await until(() => callOf('ph-1'), (c) => c?.state === 'ringing');
  t.like(ringing, { number: '12025550149', state: 'ringing', autoAnswer: false, answeredAt: null, heard: [], keys: '' });
  t.is(ringing.callerId, '"Beckon" <0000>');

  t.is((await control('POST', '/channels/ph-1/answer')).status, 204);
  await log.waitFor((e) => e.type === 'StasisStart' && e.channel.id === 'ph-1');
  t.is((await control('POST', '/channels/ph-1/answer')).status, 409, 'an answered phone cannot be answered again');

  // The verification playback, and a sound this Asterisk lacks.
  t.is((await rest('POST', '/ari/channels/ph-1/play?media=sound:silence/1,digits:482913,sound:beep,digits:482913&playbackId=pb-code')).status, 201);
  await log.waitFor((e) => e.type === 'PlaybackFinished' && e.playback.id === 'pb-code');
  t.is((await rest('POST', '/ari/channels/ph-1/play?media=sound:no-such-prompt&playbackId=pb-missing')).status, 201);
  await log.waitFor((e) => e.type === 'PlaybackFinished' && e.playback.id === 'pb-missing');

  // A person picked it up: no key is pressed by itself; the keys pressed through the control are.
  t.is((await control('POST', '/channels/ph-1/dtmf', { digit: '4' })).status, 204);
  const dtmf = await log.waitFor((e) => e.type === 'ChannelDtmfReceived' && e.channel.id === 'ph-1');
  t.is(dtmf.digit, '4');
  t.is((await control('POST', '/channels/ph-1/dtmf', { digit: 'x' })).status, 400);

  t.is((await control('POST', '/channels/ph-1/hangup')).status, 204);
  await log.destroyed('ph-1');
  const ended = await callOf('ph-1');
  t.like(ended, { state: 'ended', keys: '4', cause: 0 });
  t.is(typeof ended.answeredAt, 'number');
  t.is(typeof ended.endedAt, 'number');
  t.deepEqual(
    ended.heard.map((h: any) => [h.kind, h.text, h.played]),
    [['sound', 'silence/1', true], ['digits', '482913', true], ['sound', 'beep', true], ['digits', '482913', true], ['sound', 'no-such-prompt', false]],
  );
  t.is((await control('POST', '/channels/ph-1/hangup')).status, 404, 'an ended call cannot be hung up');
  t.is((await control('POST', '/channels/ph-1/answer')).status, 404);
});

test.serial('a phone that answers by itself presses 1 after the prompt; a busy phone cannot be answered; bridges and music reach every phone in them', async (t) => {
  const rest = restClient(sim);
  const log = await EventLog.open(sim, 'phones2');
  t.teardown(() => log.close());

  await control('PUT', '/rules', [{ pattern: '^12025550100$', behavior: { kind: 'busy', afterMs: 2000 } }]);
  t.teardown(() => control('DELETE', '/rules'));
  await rest('POST', '/ari/channels?endpoint=PJSIP/12025550100@carrier&app=phones2&channelId=ph-busy');
  t.is((await control('POST', '/channels/ph-busy/answer')).status, 409, 'a busy phone does not ring');
  await log.destroyed('ph-busy');
  t.like(await callOf('ph-busy'), { state: 'ended', cause: 17, causeText: 'User busy', answeredAt: null });

  await rest('POST', '/ari/channels?endpoint=PJSIP/12025550143@carrier&app=phones2&channelId=ph-auto');
  await rest('POST', '/ari/channels?endpoint=PJSIP/agent7&app=phones2&channelId=ph-agent');
  await log.waitFor((e) => e.type === 'StasisStart' && e.channel.id === 'ph-auto');
  await log.waitFor((e) => e.type === 'StasisStart' && e.channel.id === 'ph-agent');
  await rest('POST', '/ari/channels/ph-auto/play?media=sound:hello-world&playbackId=pb-a');
  await log.waitFor((e) => e.type === 'ChannelDtmfReceived' && e.channel.id === 'ph-auto');
  await rest('POST', '/ari/bridges?bridgeId=ph-b&type=mixing');
  await rest('POST', '/ari/bridges/ph-b/addChannel?channel=ph-auto,ph-agent');
  await rest('POST', '/ari/bridges/ph-b/play?media=sound:beep&playbackId=pb-b');
  await log.waitFor((e) => e.type === 'PlaybackStarted' && e.playback.id === 'pb-b');
  await rest('POST', '/ari/channels/ph-agent/moh');
  const auto = await callOf('ph-auto');
  t.like(auto, { autoAnswer: true, state: 'up', keys: '1' });
  t.deepEqual(auto.heard.map((h: any) => h.text), ['hello-world', 'beep']);
  const agent = await callOf('ph-agent');
  t.like(agent, { device: 'agent7', number: null });
  t.deepEqual(agent.heard.map((h: any) => [h.kind, h.text]), [['sound', 'beep'], ['moh', 'music on hold']]);

  t.is((await control('DELETE', '/calls')).status, 204);
  t.deepEqual((await control('GET', '/calls')).body, []);
});
