import test from 'ava';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { ARI_AUTH, EventLog, restClient, sleep } from '../helpers/sim-ari.ts';
import { simControl, type SimControl } from '../helpers/sim-control.ts';

let sim: Sim;
let control: SimControl;
test.before(async () => {
  sim = await startSim({ timeScale: 0.2 });
  control = simControl(sim);
});
test.after.always(async () => {
  await sim?.close();
});

test.serial('rules set through PUT /sim/rules script the next calls, and the originate log records them', async (t) => {
  const rest = restClient(sim);
  const log = await EventLog.open(sim, 'control');
  t.teardown(() => log.close());

  const put = await control('PUT', '/rules', [{ pattern: '^1444', behavior: { kind: 'busy', afterMs: 100 } }]);
  t.is(put.status, 200);
  t.deepEqual((await control('GET', '/rules')).body, [{ pattern: '^1444', behavior: { kind: 'busy', afterMs: 100 } }]);
  t.is((await control('PUT', '/rules', [{ pattern: '(', behavior: { kind: 'busy' } }])).status, 400);
  t.is((await control('PUT', '/rules', [{ pattern: '1', behavior: { kind: 'explode' } }])).status, 400);

  // 1444...5 would answer by the default rules; the custom rule makes it busy.
  const o = await rest('POST', '/ari/channels?endpoint=PJSIP/%2B14445550125@carrier&app=control&channelId=ctl-busy&appArgs=visitor');
  t.is(o.status, 200);
  const gone = await log.destroyed('ctl-busy');
  t.is(gone.cause, 17);

  // Unmatched numbers keep the default rules (last digit 5: answers).
  await rest('POST', '/ari/channels?endpoint=PJSIP/15550000005@carrier&app=control&channelId=ctl-answer');
  await log.waitFor((e) => e.type === 'StasisStart' && e.channel.id === 'ctl-answer');

  const byNumber = await control('GET', '/originates?number=14445550125');
  t.is(byNumber.body.length, 1);
  t.like(byNumber.body[0], { channelId: 'ctl-busy', endpoint: 'PJSIP/+14445550125@carrier', number: '14445550125', app: 'control', appArgs: 'visitor', timeout: 30 });
  t.is(typeof byNumber.body[0].at, 'number');
  t.is((await control('GET', '/originates')).body.length, 2);

  const channels = await control('GET', '/channels');
  t.deepEqual(
    channels.body.map((c: any) => [c.id, c.state]),
    [['ctl-answer', 'Up']],
  );

  // The phone presses a key, then hangs up.
  t.is((await control('POST', '/channels/ctl-answer/dtmf', { digit: '7' })).status, 204);
  const dtmf = await log.waitFor((e) => e.type === 'ChannelDtmfReceived');
  t.like(dtmf, { digit: '7', duration_ms: 280 });
  t.is((await control('POST', '/channels/ctl-answer/hangup')).status, 204);
  const hungUp = await log.destroyed('ctl-answer');
  t.is(hungUp.cause, 0, 'a remote hangup outside a bridge has no cause');
  t.is((await control('POST', '/channels/ctl-answer/hangup')).status, 404);

  t.is((await control('DELETE', '/rules')).status, 204);
  t.deepEqual((await control('GET', '/rules')).body, []);
  t.is((await control('DELETE', '/originates')).status, 204);
  t.deepEqual((await control('GET', '/originates')).body, []);
});

test.serial('a number ending in 7 answers and its phone hangs up 2 s later by itself', async (t) => {
  const rest = restClient(sim);
  const log = await EventLog.open(sim, 'control7');
  t.teardown(() => log.close());
  await rest('POST', '/ari/channels?endpoint=PJSIP/15551234567@carrier&app=control7&channelId=ctl-seven');
  await log.waitFor((e) => e.type === 'StasisStart');
  const answeredAt = Date.now();
  const gone = await log.destroyed('ctl-seven');
  t.true(Date.now() - answeredAt >= 2000 * 0.2 - 20);
  t.like(gone, { cause: 0, cause_txt: 'Unknown' });
  const hangupRequest = log.events.find((e) => e.type === 'ChannelHangupRequest');
  t.is(hangupRequest?.cause, undefined, 'a remote BYE carries no cause');
});

test.serial('PUT /sim/endpoints makes an agent unreachable (500 at once) and scripts its behaviour', async (t) => {
  const rest = restClient(sim);
  const log = await EventLog.open(sim, 'control2');
  t.teardown(() => log.close());

  t.is((await control('PUT', `/endpoints/${encodeURIComponent('PJSIP/agent9')}`, { reachable: false })).status, 204);
  const refused = await rest('POST', '/ari/channels?endpoint=PJSIP/agent9&app=control2');
  t.is(refused.status, 500);
  t.deepEqual(refused.body, { error: 'Allocation failed' });
  t.is((await rest('GET', '/ari/endpoints/PJSIP/agent9')).body.state, 'offline');

  await control('PUT', `/endpoints/${encodeURIComponent('PJSIP/agent9')}`, { reachable: true, behavior: { kind: 'reject', afterMs: 50 } });
  await rest('POST', '/ari/channels?endpoint=PJSIP/agent9&app=control2&channelId=agent9-call');
  const gone = await log.destroyed('agent9-call');
  t.like(gone, { cause: 21, cause_txt: 'Call Rejected', tech_cause: 603 });
  t.is((await control('PUT', '/endpoints/agent9', { behavior: { kind: 'nope' } })).status, 400);
});

test.serial('POST /sim/ws/drop cuts the sockets and POST /sim/restart takes ARI down and back', async (t) => {
  const rest = restClient(sim);
  const log = await EventLog.open(sim, 'control3');
  await rest('POST', '/ari/channels?endpoint=PJSIP/15550000005@carrier&app=control3&channelId=ctl-drop');
  await log.waitFor((e) => e.type === 'StasisStart');
  t.is((await control('POST', '/ws/drop')).status, 204);
  t.is(await log.closed, 1006);
  t.is((await rest('GET', '/ari/channels/ctl-drop')).status, 200, 'the call survives the drop');

  const r = await control('POST', '/restart', { downMs: 300 });
  t.is(r.status, 202);
  await sleep(100);
  await t.throwsAsync(fetch(`${sim.ariUrl}/ari/asterisk/info`));
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    await sleep(50);
    status = await fetch(`${sim.ariUrl}/ari/asterisk/info`, { headers: ARI_AUTH })
      .then((res) => res.status)
      .catch(() => 0);
  }
  t.is(status, 200);
  t.deepEqual((await rest('GET', '/ari/channels')).body, []);
});
