import test from 'ava';
import { pino } from 'pino';
import { AriAdapter } from '../../src/telephony/ari-adapter.ts';
import type { TelephonyEvent } from '../../src/telephony/telephony-port.ts';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { restClient } from '../helpers/sim-ari.ts';

/**
 * A failed playback is logged as a warning only when it is a media fault: Asterisk also ends a prompt
 * `failed` when its channel hangs up, which every visitor who hangs up during a prompt does.
 */
let sim: Sim;
test.before(async () => {
  sim = await startSim({ timeScale: 0.05 });
  sim.setRules([{ pattern: '', behavior: { kind: 'answer', afterMs: 0, hangupAfterMs: 3_600_000 } }]);
});
test.after.always(async () => { await sim?.close(); });

interface Line { level: number; msg: string; playbackId?: string }

async function adapter(t: { teardown(fn: () => void): void }) {
  const lines: Line[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as Line); } });
  const port = new AriAdapter({ url: sim.ariUrl, user: 'beckon', password: 'beckon', app: `pb-${Date.now()}`, log });
  const events: TelephonyEvent[] = [];
  port.onEvent((e) => events.push(e));
  await port.connect();
  t.teardown(() => { void port.close(); });
  return { port, lines, events };
}

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function upChannel(app: string, id: string): Promise<void> {
  const rest = restClient(sim);
  const r = await rest('POST', `/ari/channels?endpoint=PJSIP/15551230001@carrier&app=${app}&channelId=${id}`);
  if (r.status !== 200) throw new Error(`originate ${r.status}`);
  await until(() => (sim.channels() as { id: string; state?: string }[]).some((c) => c.id === id && c.state === 'Up'));
}

test.serial('a prompt cut short by the visitor hanging up is counted, logged at debug, not warned', async (t) => {
  const { port, lines } = await adapter(t);
  await upChannel(port.app, 'pb-cut');
  const rest = restClient(sim);
  t.is((await rest('POST', '/ari/channels/pb-cut/play?media=sound:hello-world&playbackId=pb-cut-1')).status, 201);
  sim.farEndHangup('pb-cut');
  await until(() => lines.some((l) => l.playbackId === 'pb-cut-1'));
  const line = lines.find((l) => l.playbackId === 'pb-cut-1')!;
  t.is(line.msg, 'playback cut short by a hang-up');
  t.is(line.level, 20);
  t.false(lines.some((l) => l.msg === 'playback failed'));
});

test.serial('a sound Asterisk lacks is warned as a failed playback', async (t) => {
  const { port, lines } = await adapter(t);
  await upChannel(port.app, 'pb-missing');
  const rest = restClient(sim);
  t.is((await rest('POST', '/ari/channels/pb-missing/play?media=sound:no-such-sound&playbackId=pb-missing-1')).status, 201);
  await until(() => lines.some((l) => l.playbackId === 'pb-missing-1'));
  const line = lines.find((l) => l.playbackId === 'pb-missing-1')!;
  t.is(line.msg, 'playback failed');
  t.is(line.level, 40);
  sim.farEndHangup('pb-missing');
});
