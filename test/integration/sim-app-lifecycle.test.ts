import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import AsteriskManager from 'asterisk-manager';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { ARI_AUTH, EventLog, restClient, sleep, summarize, type AriEvent } from '../helpers/sim-ari.ts';

/**
 * Replays the app-lifecycle and playback scenarios (test/fixtures/traces/app-*.json, playback-failures.json,
 * written from recordings of Asterisk 22.10.1) against the simulator: REST answers, AMI hangup causes and the
 * events each socket receives. Timing is ignored; the order of Dial against ChannelStateChange is normalised
 * as in sim-replay.test.ts.
 */

const SCALE = 0.2;

type Step =
  | { note: string }
  | { rest: string; status: number; body?: unknown; like?: Record<string, unknown>; delayMs?: number }
  | { ws: 'open' | 'close'; label: string; app?: string }
  | { wait: { label: string; type: string; nth?: number; [k: string]: unknown } }
  | { sleepMs: number }
  | { ami: Record<string, string> }
  | { farEndHangup: string; delayMs?: number };

interface Fixture { scenario: string; steps: Step[]; events: Record<string, Record<string, unknown>[]> }

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/traces/${name}.json`, import.meta.url), 'utf8')) as Fixture;
const roleOf = (id: string) => /^(visitor|agent)-/.exec(id)?.[1] ?? id;

const PHASE: Record<string, number> = { 'Dial:': 0, 'ChannelStateChange:Ringing': 1, 'Dial:RINGING': 2, 'ChannelStateChange:Up': 3, 'Dial:ANSWER': 4 };
const phase = (s: Record<string, unknown>) => PHASE[`${s.type}:${s.type === 'Dial' ? s.dialstatus : s.state}`];
function normalize(list: Record<string, unknown>[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let run: Record<string, unknown>[] = [];
  const flush = () => { run.sort((a, b) => (phase(a) ?? 0) - (phase(b) ?? 0)); out.push(...run); run = []; };
  for (const s of list) { if (phase(s) !== undefined) run.push(s); else { flush(); out.push(s); } }
  flush();
  return out;
}

function brief(e: AriEvent): Record<string, unknown> {
  const s = summarize(e, {});
  if (typeof s.role === 'string') s.role = roleOf(s.role);
  if (e.type === 'Dial') delete s.state;
  return s;
}

function amiWatch(sim: Sim) {
  const ami = AsteriskManager(sim.amiPort, '127.0.0.1', 'beckon', 'beckon', true);
  const events: Record<string, string>[] = [];
  ami.on('managerevent', (e: Record<string, string>) => events.push(e));
  return { ami, events };
}

async function replay(t: ExecutionContext, name: string, opts: { indications?: boolean } = {}, rules?: Parameters<Sim['setRules']>[0]): Promise<void> {
  const fx = fixture(name);
  const sim = await startSim({ timeScale: SCALE, ...opts });
  if (rules) sim.setRules(rules);
  t.teardown(() => sim.close());
  const rest = restClient(sim);
  const { ami, events: amiEvents } = amiWatch(sim);
  t.teardown(() => ami.disconnect());
  await sleep(100);
  const sockets = new Map<string, EventLog>();
  for (const step of fx.steps) {
    if ('note' in step) continue;
    if ('delayMs' in step && step.delayMs) await sleep(step.delayMs * SCALE);
    if ('sleepMs' in step) { await sleep(step.sleepMs * SCALE); continue; }
    if ('ws' in step) {
      if (step.ws === 'open') sockets.set(step.label, await EventLog.open(sim, step.app));
      else { const log = sockets.get(step.label)!; log.close(); await log.closed; }
      continue;
    }
    if ('wait' in step) {
      const { label, nth = 1, ...pattern } = step.wait;
      const log = sockets.get(label)!;
      const matches = (e: AriEvent) => Object.entries(pattern).every(([k, v]) => brief(e)[k] === v);
      await log.waitFor(() => log.events.filter(matches).length >= nth);
      continue;
    }
    if ('ami' in step) {
      const want = step.ami;
      const deadline = Date.now() + 5000;
      while (!amiEvents.some((e) => Object.entries(want).every(([k, v]) => e[k] === v)) && Date.now() < deadline) await sleep(20);
      t.true(amiEvents.some((e) => Object.entries(want).every(([k, v]) => e[k] === v)), `AMI ${JSON.stringify(want)}`);
      continue;
    }
    if ('farEndHangup' in step) { sim.farEndHangup(step.farEndHangup); continue; }
    const [method, path] = step.rest.split(' ') as [string, string];
    const r = await rest(method, path);
    t.is(r.status, step.status, step.rest);
    if (step.body !== undefined) t.deepEqual(r.body, step.body, step.rest);
    if (step.like !== undefined) t.like(r.body, step.like, step.rest);
  }
  await sleep(100);
  for (const [label, expected] of Object.entries(fx.events)) {
    const got = sockets.get(label)!.events.filter((e) => e.type !== 'ChannelVarset').map(brief);
    t.deepEqual(normalize(got), normalize(expected), `events on ${label}`);
  }
}

test('replay app-not-connected: no socket, no hand-over (hung up at answer, cause 0); Stasis channels survive a drop; channel subscriptions change nothing', async (t) => {
  // The phone rings long enough (0.5 s at this scale) for the "still ringing" read to hold on a busy machine.
  await replay(t, 'app-not-connected', {}, [{ pattern: '15551234566$', behavior: { kind: 'answer', afterMs: 2500, pressKey: null } }]);
});

test('replay app-two-sockets: a newer socket takes the app over (ApplicationReplaced once, nothing more); closing it leaves the app without receiver', async (t) => {
  await replay(t, 'app-two-sockets');
});

test('replay channel-move: move answers 204, StasisEnd/StasisStart with appArgs (bridged: StasisStart first), ApplicationMoveFailed to an app with no socket, 404 unknown channel, 400 without app', async (t) => {
  await replay(t, 'channel-move');
});

test('replay app-subscriptions-persist: subscriptions are counted and outlive the socket', async (t) => {
  await replay(t, 'app-subscriptions-persist');
});

test('replay playback-failures: missing sounds and tones without indications fail; a hang-up cuts a prompt to failed', async (t) => {
  await replay(t, 'playback-failures', { indications: false });
});

test('tone: plays with indications (the default)', async (t) => {
  const sim = await startSim({ timeScale: SCALE });
  t.teardown(() => sim.close());
  const rest = restClient(sim);
  const log = await EventLog.open(sim);
  await rest('POST', '/ari/channels?endpoint=PJSIP/15551234566@carrier&app=callback&channelId=visitor-tone');
  await log.waitFor((e) => e.type === 'StasisStart');
  await rest('POST', '/ari/channels/visitor-tone/play/pb-tone?media=tone:ring');
  await sleep(300);
  t.is((await rest('GET', '/ari/playbacks/pb-tone')).body.state, 'playing');
  await rest('DELETE', '/ari/playbacks/pb-tone');
  t.is((await log.waitFor((e) => e.type === 'PlaybackFinished')).playback.state, 'done');
});

test('after a restart REST answers while WebSockets are still refused for the configured gap', async (t) => {
  const sim = await startSim({ timeScale: 1, restartWsGapMs: 3000 });
  t.teardown(() => sim.close());
  const restarting = sim.restart(200);
  let back = false;
  restarting.then(() => { back = true; }, () => undefined);
  await sleep(200 + 100 + 300);
  const info = await fetch(`${sim.ariUrl}/ari/asterisk/info`, { headers: ARI_AUTH });
  t.is(info.status, 200, 'REST is back');
  await t.throwsAsync(EventLog.open(sim), undefined, 'the WebSocket is refused meanwhile');
  t.false(back, 'still within the gap');
  await restarting;
  const log = await EventLog.open(sim);
  t.teardown(() => log.close());
  t.pass();
});
