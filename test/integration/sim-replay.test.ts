import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import WebSocket from 'ws';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { restClient, sleep, type AriEvent } from '../helpers/sim-ari.ts';

/**
 * Replays the REST calls of each recorded Asterisk 22 scenario against the simulator and compares
 * the WebSocket events it sends with the recorded ones (test/fixtures/traces/*.json, derived
 * from the recordings). Timing is ignored, and so is the order of Dial against
 * ChannelStateChange, which varies between runs of the real Asterisk too.
 */

const SCALE = 0.2;
/** Scenarios where a scripted phone races the app get more room, so a busy machine cannot reorder them. */
const SCALE_FOR: Record<string, number> = { 'dtmf-barge': 0.5 };

type Summary = Record<string, unknown>;
type Pattern = Summary & { nth?: number };

interface RestStep {
  method: string;
  path: string;
  body?: unknown;
  status: number;
  waitFor?: Pattern;
  delayMs?: number;
  capture?: string;
  expectBody?: unknown;
}
type Step =
  | RestStep
  | { do: 'ws-open' | 'ws-close' | 'restart' | 'far-end-hangup'; how?: 'close' | 'terminate'; channel?: string; waitFor?: Pattern; delayMs?: number };

interface Fixture {
  scenario: string;
  steps: Step[];
  events: Summary[];
  order?: 'per-role';
}

function fixture<T = Fixture>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/traces/${name}.json`, import.meta.url), 'utf8')) as T;
}

const roleOf = (id: string) => /^(visitor|agent)-/.exec(id)?.[1] ?? id;

/** Mirrors how the fixtures were written: the fields that tell the cases apart. */
function summarize(e: AriEvent): Summary {
  const ch = e.channel ?? e.peer;
  const out: Summary = { type: e.type };
  if (ch) {
    out.role = roleOf(ch.id);
    // A Dial's peer snapshot may or may not show Ringing yet; the state is not part of the contract.
    if (e.type !== 'Dial') out.state = ch.state;
  }
  for (const k of ['dialstatus', 'cause', 'cause_txt', 'tech_cause', 'soft', 'args', 'digit']) if (k in e) out[k] = e[k];
  if (e.bridge) out.bridge_channels = (e.bridge.channels as string[]).map(roleOf);
  if (e.playback) {
    out.media_uri = e.playback.media_uri;
    out.playback_state = e.playback.state;
    if (e.playback.next_media_uri) out.next_media_uri = e.playback.next_media_uri;
  }
  return out;
}

const PHASE: Record<string, number> = { 'Dial:': 0, 'ChannelStateChange:Ringing': 1, 'Dial:RINGING': 2, 'ChannelStateChange:Up': 3, 'Dial:ANSWER': 4 };
const phase = (s: Summary) => PHASE[`${s.type}:${s.type === 'Dial' ? s.dialstatus : s.state}`];

/** Puts each run of Dial/ChannelStateChange events into their logical order. */
function normalize(list: Summary[]): Summary[] {
  const out: Summary[] = [];
  let run: Summary[] = [];
  const flush = () => {
    run.sort((a, b) => (phase(a) ?? 0) - (phase(b) ?? 0));
    out.push(...run);
    run = [];
  };
  for (const s of list) {
    if (phase(s) !== undefined) run.push(s);
    else {
      flush();
      out.push(s);
    }
  }
  flush();
  return out;
}

function byRole(list: Summary[]): Record<string, Summary[]> {
  const out: Record<string, Summary[]> = {};
  for (const s of list) (out[String(s.role ?? '')] ??= []).push(s);
  return out;
}

const matches = (s: Summary, p: Pattern) => Object.entries(p).every(([k, v]) => k === 'nth' || s[k] === v);

/** Events from every socket the scenario opens, in arrival order. */
class Collector {
  readonly events: AriEvent[] = [];
  readonly summaries: Summary[] = [];
  ws: WebSocket | null = null;
  closeCode: Promise<number> = Promise.resolve(0);
  private wake: Array<() => void> = [];

  async open(sim: Sim): Promise<void> {
    const ws = new WebSocket(`${sim.ariUrl.replace(/^http/, 'ws')}/ari/events?app=callback&api_key=beckon:beckon`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', (data) => {
      const e = JSON.parse(String(data)) as AriEvent;
      if (e.type === 'ChannelVarset') return;
      this.events.push(e);
      this.summaries.push(summarize(e));
      for (const w of this.wake.splice(0)) w();
    });
    this.closeCode = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
    this.ws = ws;
  }

  async until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got ${this.summaries.map((s) => s.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        this.wake.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  waitFor(p: Pattern): Promise<void> {
    const nth = p.nth ?? 1;
    return this.until(() => this.summaries.filter((s) => matches(s, p)).length >= nth, JSON.stringify(p));
  }
}

/** Lists compare as sets: Asterisk's container order is not part of the contract. */
function bodySummary(path: string, body: any): unknown {
  if (path === '/ari/channels' && Array.isArray(body)) return body.map((c) => [roleOf(c.id), c.state]).sort();
  if (path.startsWith('/ari/bridges') && body && !path.includes('/moh')) {
    if (Array.isArray(body)) return body.map((b) => (b.channels as string[]).map(roleOf));
    if (body.channels) return [(body.channels as string[]).map(roleOf)];
  }
  if (path.startsWith('/ari/playbacks/') && body?.media_uri) return { media_uri: body.media_uri, state: body.state };
  return body;
}

async function replay(t: ExecutionContext, name: string): Promise<Collector> {
  const fx = fixture(name);
  const scale = SCALE_FOR[name] ?? SCALE;
  const sim = await startSim({ timeScale: scale });
  t.teardown(() => sim.close());
  const rest = restClient(sim);
  const got = new Collector();
  await got.open(sim);
  const captured: Record<string, string> = {};

  for (const step of fx.steps) {
    if (step.waitFor) await got.waitFor(step.waitFor);
    if (step.delayMs) await sleep(step.delayMs * scale);
    if ('do' in step) {
      if (step.do === 'ws-open') await got.open(sim);
      else if (step.do === 'far-end-hangup') sim.farEndHangup(step.channel!);
      else if (step.do === 'ws-close') {
        if (step.how === 'terminate') got.ws?.terminate();
        else got.ws?.close();
        await got.closeCode;
      } else {
        const restarting = sim.restart(300);
        await sleep(50);
        await t.throwsAsync(fetch(`${sim.ariUrl}/ari/asterisk/info`), undefined, 'REST is refused while Asterisk restarts');
        await restarting;
        t.is(await got.closeCode, 1006, 'the socket closes without a close frame');
      }
      continue;
    }
    const path = step.path.replace(/\{(bridge\d+)\}/g, (_, k: string) => captured[k] ?? k);
    const r = await rest(step.method, path, step.body);
    t.is(r.status, step.status, `${step.method} ${path}`);
    if (step.capture) captured[step.capture] = r.body.id;
    if (step.expectBody !== undefined) {
      const expected = path === '/ari/channels' && Array.isArray(step.expectBody) ? [...(step.expectBody as unknown[])].sort() : step.expectBody;
      t.deepEqual(bodySummary(path.split('?')[0]!, r.body), expected, `${step.method} ${path}`);
    }
  }

  await got.until(() => got.summaries.length >= fx.events.length, `${fx.events.length} events`).catch(() => undefined);
  await sleep(100);
  if (fx.order === 'per-role') t.deepEqual(byRole(normalize(got.summaries)), byRole(normalize(fx.events)));
  else t.deepEqual(normalize(got.summaries), normalize(fx.events));
  got.ws?.close();
  return got;
}

const SCENARIOS: Array<[string, string]> = [
  ['a', 'answered, agent answers, bridged, server hangs both up'],
  ['b', 'visitor busy'],
  ['c', 'visitor never answers: the originate timeout ends it with cause 19'],
  ['d', 'visitor answers, agent busy'],
  ['e', 'visitor hangs up first while bridged'],
  ['f', 'agent never answers'],
  ['g', 'server cancels the visitor while it rings'],
  ['reject', 'visitor rejects (603)'],
  ['dtmf-gate', 'prompt, the visitor presses 1, agent bridged'],
  ['dtmf-barge', 'DTMF during a long prompt, the app stops the prompt'],
  ['machine', 'answering machine: answers, never presses a key'],
  ['moh', 'music on hold on a bridge and on a channel'],
  ['digits', 'digits:, number: and media lists'],
  ['ws-drop', 'the WebSocket drops while the call is up: calls survive, missed events are lost'],
  ['asterisk-restart', 'restart: cause 4, socket cut, REST refused, back empty'],
];

for (const [name, title] of SCENARIOS) {
  test(`replay ${name}: ${title}`, async (t) => {
    await replay(t, name);
  });
}

test('replay ws-drop: GET /ari/channels and the application still list the calls while no socket is open', async (t) => {
  const sim = await startSim({ timeScale: SCALE });
  t.teardown(() => sim.close());
  const rest = restClient(sim);
  const got = new Collector();
  await got.open(sim);
  await rest('POST', '/ari/channels?endpoint=PJSIP/15551234566@carrier&app=callback&channelId=visitor-drop');
  await got.waitFor({ type: 'StasisStart' });
  sim.dropWebSockets();
  t.is(await got.closeCode, 1006);
  const app = await rest('GET', '/ari/applications/callback');
  t.deepEqual(app.body.channel_ids, ['visitor-drop']);
  t.deepEqual((await rest('GET', '/ari/channels')).body.map((c: any) => c.id), ['visitor-drop']);
  await rest('DELETE', '/ari/channels/visitor-drop');
  await got.open(sim);
  await sleep(50);
  t.false(got.summaries.some((s) => s.type === 'ChannelDestroyed'), 'events of the gap are not replayed');
});

interface ErrorCase {
  label: string;
  kind: 'rest' | 'ws';
  status: number;
  method?: string;
  path?: string;
  query?: string;
  body?: unknown;
  auth?: 'none' | 'wrong';
  sim?: string;
}

test('replay errors: status codes and bodies for bad credentials, parameters and ids', async (t) => {
  const { cases } = fixture<{ cases: ErrorCase[] }>('errors');
  // Real time: the ringing channel of these cases must outlive the calls made to it. The lab had no WebRTC agent
  // endpoints when this was recorded: GET /endpoints listed only the desk phones and the trunk.
  const sim = await startSim({ timeScale: 1, webAgents: {} });
  t.teardown(() => sim.close());
  const rest = restClient(sim);
  const wrong = restClient(sim, 'beckon', 'wrong');
  for (const c of cases) {
    if (c.sim) {
      t.log(`${c.label}: ${c.sim}`);
      continue;
    }
    if (c.kind === 'ws') {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${sim.ariUrl.replace(/^http/, 'ws')}/ari/events?${c.query}`);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => undefined);
      });
      t.is(status, c.status, c.label);
      continue;
    }
    let r;
    if (c.auth === 'none') {
      const res = await fetch(`${sim.ariUrl}${c.path}`, { method: c.method });
      r = { status: res.status, body: await res.json() };
    } else {
      r = await (c.auth === 'wrong' ? wrong : rest)(c.method!, c.path!);
    }
    t.is(r.status, c.status, c.label);
    if (c.body !== undefined) {
      if (Array.isArray(c.body)) {
        t.deepEqual(
          r.body.map((e: any) => ({ technology: e.technology, resource: e.resource, state: e.state })),
          c.body,
          c.label,
        );
      } else if (r.status < 300) {
        t.like(r.body, c.body as Record<string, unknown>, c.label);
      } else {
        t.deepEqual(r.body, c.body, c.label);
      }
    }
  }
  // The simulator's way to get Allocation failed for an agent: its phone is unreachable.
  sim.setEndpoint('PJSIP/nosuchendpoint', { reachable: false });
  const refused = await rest('POST', '/ari/channels?endpoint=PJSIP/nosuchendpoint&app=callback');
  t.is(refused.status, 500);
  t.deepEqual(refused.body, { error: 'Allocation failed' });
});
