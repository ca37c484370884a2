import type { IncomingMessage, ServerResponse } from 'node:http';
import { AriError, notFound } from './ari-error.ts';
import type { AriHub } from './ari-hub.ts';
import { bridgeJson, channelJson } from './ari-snapshots.ts';
import { reasonToCause } from './causes.ts';
import type { Exchange } from './exchange.ts';
import type { OriginateParams } from './originate.ts';
import { isKnownMedia, KNOWN_SOUNDS } from './media.ts';
import type { PlaybackTarget } from './playbacks.ts';
import { parseJsonBody, readBody, sendEmpty, sendJson, pathSegments } from './http-util.ts';
import { resourceDoc, resourceListing } from './api-docs/index.ts';
import { ariTime } from './time-format.ts';
import type { PushConfig } from './push-config.ts';

export interface AriContext {
  exchange: Exchange;
  hub: AriHub;
  user: string;
  password: string;
  asteriskId: string;
  startedAt: number;
  /** ARI push configuration (sorcery's memory wizard): the browser agents' per-session passwords. */
  pushConfig?: PushConfig;
}

/** Basic auth or `?api_key=user:password`, as Asterisk accepts both. */
export function authorized(req: IncomingMessage, url: URL, ctx: AriContext): boolean {
  const key = url.searchParams.get('api_key');
  if (key !== null) return key === `${ctx.user}:${ctx.password}`;
  const h = req.headers.authorization;
  if (!h || !h.startsWith('Basic ')) return false;
  return Buffer.from(h.slice(6), 'base64').toString('utf8') === `${ctx.user}:${ctx.password}`;
}

type Params = Record<string, string>;

/** Query parameters win; a JSON body may carry the same parameters and `variables`. */
function collectParams(url: URL, body: unknown): { params: Params; variables: Record<string, string> | undefined } {
  const params: Params = {};
  for (const [k, v] of url.searchParams) params[k] = v; // a repeated parameter keeps its last value
  let variables: Record<string, string> | undefined;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (k === 'variables') {
        if (v && typeof v === 'object') {
          variables = {};
          for (const [vk, vv] of Object.entries(v as Record<string, unknown>)) variables[vk] = String(vv);
        }
      } else if (!(k in params) && v !== null && v !== undefined) {
        params[k] = Array.isArray(v) ? v.join(',') : String(v);
      }
    }
  }
  return { params, variables };
}

const list = (value: string | undefined) => (value ? value.split(',').filter((s) => s !== '') : []);

function asteriskInfo(ctx: AriContext, only: string | undefined): Record<string, unknown> {
  const started = ariTime(ctx.startedAt);
  const all: Record<string, unknown> = {
    build: { os: 'Linux', kernel: '', machine: process.arch, options: 'BECKON_SIMULATOR', date: started, user: 'beckon' },
    system: { version: '22.10.1', entity_id: ctx.asteriskId },
    config: { name: 'beckon-sim', default_language: 'en', setid: { user: '', group: '' } },
    status: { startup_time: started, last_reload_time: started },
  };
  const wanted = list(only);
  if (wanted.length === 0) return all;
  return Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k)));
}

/** Scheme and existence of an event source, worded as Asterisk answers (app-not-connected trace). */
function checkEventSource(ctx: AriContext, source: string): void {
  const colon = source.indexOf(':');
  const scheme = colon < 0 ? '' : source.slice(0, colon);
  const id = source.slice(colon + 1);
  const missing = () => new AriError(422, { message: 'Event source does not exist' });
  switch (scheme) {
    case 'channel':
      if (!ctx.exchange.state.channels.has(id)) throw missing();
      return;
    case 'bridge':
      if (!ctx.exchange.state.bridges.has(id)) throw missing();
      return;
    case 'endpoint':
    case 'deviceState':
      return;
    default:
      throw new AriError(400, { message: 'Invalid event source URI scheme' });
  }
}

function applicationJson(ctx: AriContext, name: string): Record<string, unknown> {
  const channelIds: string[] = [];
  for (const ch of ctx.exchange.state.channels.values()) if (ch.app === name || ch.stasisApp === name) channelIds.push(ch.id);
  const bridgeIds: string[] = [];
  for (const b of ctx.exchange.state.bridges.values()) if (b.apps.has(name)) bridgeIds.push(b.id);
  const endpointIds = ctx.hub
    .sources(name)
    .filter((s) => s.startsWith('endpoint:'))
    .map((s) => s.slice('endpoint:'.length));
  return {
    name,
    channel_ids: channelIds.sort(),
    bridge_ids: bridgeIds,
    endpoint_ids: endpointIds,
    device_names: [],
    events_allowed: [],
    events_disallowed: [],
  };
}

function originateParams(params: Params, variables: Record<string, string> | undefined, channelId?: string): OriginateParams {
  const p: OriginateParams = {};
  for (const k of ['endpoint', 'app', 'appArgs', 'callerId', 'timeout', 'channelId', 'otherChannelId', 'originator', 'extension'] as const) {
    if (params[k] !== undefined) p[k] = params[k];
  }
  if (channelId !== undefined) p.channelId = channelId;
  if (variables) p.variables = variables;
  return p;
}

function media(params: Params): string[] {
  const m = list(params.media);
  for (const uri of m) if (!isKnownMedia(uri)) throw new AriError(400, { message: `Unknown media: ${uri}` });
  return m;
}

/** One ARI request as a route sees it: the parameters of query and body, and the named path segments. */
interface AriRequest {
  ctx: AriContext;
  ex: Exchange;
  method: string;
  params: Params;
  variables: Record<string, string> | undefined;
  /** by the names in the route's pattern, e.g. `id` for channels/:id */
  path: Record<string, string>;
  /** the parsed JSON body as sent ({} without one) */
  body: unknown;
}

/** JSON with a status; a route that returns nothing answers 204. */
type AriReply = { status: number; json: unknown } | void;
type AriRoute = (r: AriRequest) => AriReply;

const ok = (json: unknown, status = 200): AriReply => ({ status, json });

/** An app exists while it has a socket, channels or subscriptions (app-not-connected trace). */
function existingApp(r: AriRequest): string {
  const name = r.path.app!;
  if (!r.ctx.hub.has(name) && ![...r.ex.state.channels.values()].some((c) => c.app === name || c.stasisApp === name)) {
    throw notFound('Application');
  }
  return name;
}

/** POST subscribes the app to event sources, DELETE takes one subscription back per source. */
const subscription: AriRoute = (r) => {
  const app = existingApp(r);
  const sources = list(r.params.eventSource);
  if (sources.length === 0) throw new AriError(400, { message: 'Missing parameter eventSource' });
  for (const s of sources) checkEventSource(r.ctx, s);
  for (const s of sources) {
    // A channel already in this app: Asterisk answers 200 and changes nothing (no events twice, none lost).
    const ch = s.startsWith('channel:') ? r.ex.state.channels.get(s.slice('channel:'.length)) : undefined;
    if (ch && (ch.app === app || ch.stasisApp === app)) continue;
    if (r.method === 'POST') r.ctx.hub.subscribe(app, s);
    else if (!r.ctx.hub.unsubscribe(app, s)) throw new AriError(422, { message: 'Event source was not subscribed to' });
  }
  return ok(applicationJson(r.ctx, app));
};

/** POST …/play or …/play/{playbackId} on a channel or a bridge. */
const play = (target: (r: AriRequest) => PlaybackTarget): AriRoute => (r) => {
  const to = target(r);
  const json = r.ex.playbacks.play(to, media(r.params), r.path.playbackId ?? r.params.playbackId, r.params.lang);
  // Playing to a call that came in and is not answered yet sends the caller early media (183 Session Progress).
  const ch = 'channelId' in to ? r.ex.state.channels.get(to.channelId) : undefined;
  if (ch?.inbound && ch.answeredAt === null) r.ex.inbound.earlyMedia(ch);
  return ok(json, 201);
};
const onChannel = (r: AriRequest): PlaybackTarget => ({ channelId: r.path.id! });
const onBridge = (r: AriRequest): PlaybackTarget => ({ bridgeId: r.path.id! });

const ring: AriRoute = (r) => r.ex.controls.ring(r.path.id!, r.method === 'POST');
const mute: AriRoute = (r) => r.ex.controls.mute(r.path.id!, r.params.direction, r.method === 'POST');

/** The push-configuration store (absent only where an AriContext is built without one). */
function pushConfig(r: AriRequest): PushConfig {
  if (!r.ctx.pushConfig) throw new AriError(404, { message: 'Resource not found' });
  return r.ctx.pushConfig;
}

/** Only PJSIP endpoints exist. */
function pjsip(r: AriRequest): void {
  if (r.path.tech!.toUpperCase() !== 'PJSIP') throw notFound('Endpoint');
}

/** `METHOD path`, `:name` matching any one segment; anything else under /ari is 404 Resource not found. */
const ROUTES: Record<string, AriRoute> = {
  'GET asterisk/info': (r) => ok(asteriskInfo(r.ctx, r.params.only)),
  'PUT asterisk/config/dynamic/:class/:type/:id': (r) => {
    const done = pushConfig(r).put(r.path.class!, r.path.type!, r.path.id!, r.body);
    return ok(done.json, done.status);
  },
  'GET asterisk/config/dynamic/:class/:type/:id': (r) => ok(pushConfig(r).get(r.path.class!, r.path.type!, r.path.id!).json),
  'DELETE asterisk/config/dynamic/:class/:type/:id': (r) => pushConfig(r).delete(r.path.class!, r.path.type!, r.path.id!),
  'GET asterisk/ping': (r) => ok({ asterisk_id: r.ctx.asteriskId, ping: 'pong', timestamp: ariTime(Date.now()) }),

  'GET applications': (r) => {
    const channelAppNames = [...r.ex.state.channels.values()].flatMap((c) => [c.app, c.stasisApp]).filter((a) => a !== '');
    const names = new Set([...r.ctx.hub.names(), ...channelAppNames]);
    return ok([...names].map((n) => applicationJson(r.ctx, n)));
  },
  'GET applications/:app': (r) => ok(applicationJson(r.ctx, existingApp(r))),
  'POST applications/:app/subscription': subscription,
  'DELETE applications/:app/subscription': subscription,

  'GET channels': (r) => ok([...r.ex.state.channels.values()].map((c) => channelJson(c))),
  'POST channels': (r) => ok(r.ex.channels.originate(originateParams(r.params, r.variables))),
  'GET channels/:id': (r) => ok(channelJson(r.ex.state.channel(r.path.id!))),
  'POST channels/:id': (r) => ok(r.ex.channels.originate(originateParams(r.params, r.variables, r.path.id))),
  'DELETE channels/:id': (r) => {
    const cause = reasonToCause(r.params.reason, r.params.reason_code);
    if (cause === null) throw new AriError(400, { message: 'Invalid reason for hangup provided' });
    r.ex.channels.hangup(r.path.id!, cause);
  },
  'POST channels/:id/answer': (r) => r.ex.controls.answer(r.path.id!),
  'POST channels/:id/move': (r) => r.ex.controls.move(r.path.id!, r.params.app, r.params.appArgs),
  'POST channels/:id/ring': ring,
  'DELETE channels/:id/ring': ring,
  'POST channels/:id/dtmf': (r) => r.ex.controls.sendDtmf(r.path.id!, r.params.dtmf),
  'POST channels/:id/moh': (r) => r.ex.controls.startMoh(r.path.id!, r.params.mohClass),
  'DELETE channels/:id/moh': (r) => r.ex.controls.stopMoh(r.path.id!),
  'POST channels/:id/mute': mute,
  'DELETE channels/:id/mute': mute,
  'POST channels/:id/play': play(onChannel),
  'POST channels/:id/play/:playbackId': play(onChannel),
  'GET channels/:id/variable': (r) => ok({ value: r.ex.controls.getVariable(r.path.id!, r.params.variable) }),
  'POST channels/:id/variable': (r) => r.ex.controls.setVariable(r.path.id!, r.params.variable, r.params.value ?? ''),

  'GET bridges': (r) => ok([...r.ex.state.bridges.values()].map(bridgeJson)),
  'POST bridges': (r) => ok(r.ex.bridges.create(r.params.type, r.params.name, r.params.bridgeId)),
  'GET bridges/:id': (r) => ok(bridgeJson(r.ex.state.bridge(r.path.id!))),
  'POST bridges/:id': (r) => ok(r.ex.bridges.create(r.params.type, r.params.name, r.path.id)),
  'DELETE bridges/:id': (r) => r.ex.bridges.destroy(r.path.id!),
  'POST bridges/:id/addChannel': (r) => r.ex.bridges.add(r.path.id!, list(r.params.channel)),
  'POST bridges/:id/removeChannel': (r) => r.ex.bridges.remove(r.path.id!, list(r.params.channel)),
  'POST bridges/:id/moh': (r) => r.ex.bridges.startMoh(r.path.id!),
  'DELETE bridges/:id/moh': (r) => r.ex.bridges.stopMoh(r.path.id!),
  'POST bridges/:id/play': play(onBridge),
  'POST bridges/:id/play/:playbackId': play(onBridge),

  'GET playbacks/:id': (r) => ok(r.ex.playbacks.json(r.path.id!)),
  'DELETE playbacks/:id': (r) => r.ex.playbacks.stop(r.path.id!),

  'GET endpoints': (r) => ok(r.ex.endpoints.names().map((n) => r.ex.endpoints.json(n))),
  'GET endpoints/:tech': (r) => {
    pjsip(r);
    return ok(r.ex.endpoints.names().map((n) => r.ex.endpoints.json(n)));
  },
  'GET endpoints/:tech/:resource': (r) => {
    pjsip(r);
    if (!r.ex.endpoints.exists(r.path.resource!)) throw notFound('Endpoint');
    return ok(r.ex.endpoints.json(r.path.resource!));
  },

  'GET deviceStates': () => ok([]),

  // The sound index: what `sound:` media this Asterisk can play (404 "Sound not found" otherwise).
  'GET sounds': () => ok([...KNOWN_SOUNDS].sort().map(soundJson)),
  'GET sounds/:id': (r) => {
    if (!KNOWN_SOUNDS.has(r.path.id!)) throw new AriError(404, { message: 'Sound not found' });
    return ok(soundJson(r.path.id!));
  },
};

function soundJson(id: string): { id: string; text: string; formats: { language: string; format: string }[] } {
  return { id, text: '', formats: [{ language: 'en', format: 'gsm' }] };
}

const COMPILED = Object.entries(ROUTES).map(([key, route]) => {
  const [method, pattern] = key.split(' ') as [string, string];
  return { method, parts: pattern.split('/'), route };
});

/** The named segments a pattern binds in this path, or null when the path does not fit it. */
function bind(parts: string[], segs: string[]): Record<string, string> | null {
  if (parts.length !== segs.length) return null;
  const path: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    if (part.startsWith(':')) path[part.slice(1)] = segs[i]!;
    else if (part !== segs[i]) return null;
  }
  return path;
}

function match(method: string, segs: string[]): { route: AriRoute; path: Record<string, string> } | null {
  for (const c of COMPILED) {
    if (c.method !== method) continue;
    const path = bind(c.parts, segs);
    if (path) return { route: c.route, path };
  }
  return null;
}

/** Handles one request under /ari. The caller has checked that the exchange is up. */
export async function handleAri(req: IncomingMessage, res: ServerResponse, url: URL, ctx: AriContext): Promise<void> {
  const segs = pathSegments(url);
  const method = req.method ?? 'GET';

  if (segs[0] === 'api-docs' && method === 'GET') {
    const basePath = `http://${req.headers.host ?? '127.0.0.1'}/ari`;
    const file = segs[1] ?? '';
    const doc = file === 'resources.json' ? resourceListing(basePath) : resourceDoc(file.replace(/\.json$/, ''), basePath);
    if (!doc) return sendJson(res, 404, { message: 'Resource not found' });
    return sendJson(res, 200, doc);
  }

  if (!authorized(req, url, ctx)) {
    res.setHeader('WWW-Authenticate', 'Basic realm="Asterisk REST Interface"');
    return sendJson(res, 401, { message: 'Authentication required' });
  }

  let body: unknown = {};
  if (method === 'POST' || method === 'PUT' || method === 'DELETE') {
    try {
      body = parseJsonBody(await readBody(req));
    } catch {
      return sendJson(res, 400, { message: 'Malformed JSON body' });
    }
  }
  const { params, variables } = collectParams(url, body);

  // Channels made without dialing (a local or external-media channel) are beyond the simulator, whatever follows.
  if (segs[0] === 'channels' && (segs[1] === 'create' || segs[1] === 'externalMedia')) {
    return sendJson(res, 501, { message: 'Not implemented by the simulator' });
  }
  const found = match(method, segs);
  if (!found) return sendJson(res, 404, { message: 'Resource not found' });
  try {
    const reply = found.route({ ctx, ex: ctx.exchange, method, params, variables, path: found.path, body });
    if (!reply) return sendEmpty(res);
    return sendJson(res, reply.status, reply.json);
  } catch (err) {
    if (err instanceof AriError) return sendJson(res, err.status, err.body);
    throw err;
  }
}
