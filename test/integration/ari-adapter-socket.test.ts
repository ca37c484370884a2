import test from 'ava';
import { pino } from 'pino';
import { AriAdapter } from '../../src/telephony/ari-adapter.ts';
import type { TelephonyEvent } from '../../src/telephony/telephony-port.ts';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { restClient } from '../helpers/sim-ari.ts';
import { until } from '../helpers/wait-for.ts';

/**
 * The adapter's event socket, as the worker depends on it: an event type the client's API docs lack does not
 * stop the events that follow, and a socket that goes dead without closing (a NAT or firewall that forgot the
 * connection) is found by its unanswered pings and reconnected, with connection.lost / connection.restored so the
 * worker reconciles its calls.
 */
let sim: Sim;
test.before(async () => {
  sim = await startSim({ timeScale: 0.05 });
  sim.setRules([{ pattern: '', behavior: { kind: 'answer', afterMs: 0, hangupAfterMs: 3_600_000 } }]);
});
test.after.always(async () => { await sim?.close(); });

async function adapter(t: { teardown(fn: () => void): void }, label: string, pingMs?: number) {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => { warnings.push((JSON.parse(s) as { msg: string }).msg); } });
  const port = new AriAdapter({ url: sim.ariUrl, user: 'beckon', password: 'beckon', app: `${label}-${Date.now()}`, log, ...(pingMs ? { pingMs } : {}) });
  const events: TelephonyEvent[] = [];
  port.onEvent((e) => events.push(e));
  await port.connect();
  t.teardown(() => { void port.close(); });
  return { port, events, warnings };
}

/** Originates a channel into the app; resolves once the adapter has its StasisStart. */
async function channelArrives(app: string, id: string, events: TelephonyEvent[]): Promise<boolean> {
  const r = await restClient(sim)('POST', `/ari/channels?endpoint=PJSIP/15551230001@carrier&app=${app}&channelId=${id}`);
  if (r.status !== 200) throw new Error(`originate ${r.status}`);
  return until(() => events.some((e) => 'channelId' in e && e.channelId === id), 5000);
}

test.serial('an event type the API docs lack is passed over, and the events after it still arrive', async (t) => {
  const { port, events } = await adapter(t, 'unknown-type');
  sim.sendAppEvent(port.app, { type: 'ChannelToneDetected', channel: { id: 'nobody' } });
  sim.sendAppEvent(port.app, { type: 'ChannelHold', musicclass: 'default', channel: { id: 'nobody' } });
  t.true(await channelArrives(port.app, 'after-unknown', events), 'StasisStart after the unknown events');
  t.true(port.isConnected);
});

test.serial('a socket gone dead without a close is found by its pings, reconnected, and reported lost then restored', async (t) => {
  const { port, events, warnings } = await adapter(t, 'silent', 200);
  t.true(await channelArrives(port.app, 'before-silence', events));
  sim.dropWebSockets({ silent: true });
  t.true(await until(() => events.some((e) => e.type === 'connection.lost'), 5000), 'connection.lost');
  t.true(warnings.some((m) => /no answer to a ping/.test(m)), warnings.join('\n'));
  t.true(await until(() => events.some((e) => e.type === 'connection.restored'), 10_000), 'connection.restored');
  t.true(port.isConnected);
  t.true(await channelArrives(port.app, 'after-silence', events), 'events flow on the new socket');
});

test.serial('a live socket answers its pings and is left alone', async (t) => {
  const { port, events, warnings } = await adapter(t, 'alive', 100);
  await new Promise((r) => setTimeout(r, 1200));
  t.false(events.some((e) => e.type === 'connection.lost'));
  t.deepEqual(warnings, []);
  t.true(await channelArrives(port.app, 'alive-chan', events));
});
