import type { IncomingMessage, ServerResponse } from 'node:http';
import { AriError, notFound } from './ari-error.ts';
import type { AriHub } from './ari-hub.ts';
import { bridgeJson, channelJson } from './ari-snapshots.ts';
import { reasonToCause } from './causes.ts';
import type { Exchange } from './exchange.ts';
import type { OriginateParams } from './originate.ts';
import { isKnownMedia } from './media.ts';
import type { PlaybackTarget } from './playbacks.ts';
import { parseJsonBody, readBody, sendEmpty, sendJson, pathSegments } from './http-util.ts';
import { resourceDoc, resourceListing } from './api-docs/index.ts';
import { ariTime } from './time-format.ts';

export interface AriContext {
  exchange: Exchange;
  hub: AriHub;
  user: string;
  password: string;
  asteriskId: string;
  startedAt: number;
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
  for (const ch of ctx.exchange.state.channels.values()) if (ch.app === name) channelIds.push(ch.id);
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
  const ex = ctx.exchange;
  /** POST …/play or …/play/{playbackId} on a channel or a bridge. */
  const play = (target: PlaybackTarget) =>
    sendJson(res, 201, ex.playbacks.play(target, media(params), segs.length === 4 ? segs[3] : params.playbackId, params.lang));

  try {
    const [r0, r1, r2] = segs;
    switch (r0) {
      case 'asterisk':
        if (method === 'GET' && r1 === 'info' && segs.length === 2) return sendJson(res, 200, asteriskInfo(ctx, params.only));
        if (method === 'GET' && r1 === 'ping' && segs.length === 2) {
          return sendJson(res, 200, { asterisk_id: ctx.asteriskId, ping: 'pong', timestamp: ariTime(Date.now()) });
        }
        break;

      case 'applications': {
        // An app exists while it has a socket, channels or subscriptions (app-not-connected trace).
        const exists = (name: string) => ctx.hub.has(name) || [...ex.state.channels.values()].some((c) => c.app === name);
        if (segs.length === 1 && method === 'GET') {
          const names = new Set([...ctx.hub.names(), ...[...ex.state.channels.values()].map((c) => c.app).filter((a) => a !== '')]);
          return sendJson(res, 200, [...names].map((n) => applicationJson(ctx, n)));
        }
        if (r1 !== undefined && segs.length === 2 && method === 'GET') {
          if (!exists(r1)) throw notFound('Application');
          return sendJson(res, 200, applicationJson(ctx, r1));
        }
        if (r1 !== undefined && r2 === 'subscription' && segs.length === 3 && (method === 'POST' || method === 'DELETE')) {
          if (!exists(r1)) throw notFound('Application');
          const sources = list(params.eventSource);
          if (sources.length === 0) throw new AriError(400, { message: 'Missing parameter eventSource' });
          for (const s of sources) checkEventSource(ctx, s);
          for (const s of sources) {
            // A channel already in this app: Asterisk answers 200 and changes nothing (no events twice, none lost).
            if (s.startsWith('channel:') && ex.state.channels.get(s.slice('channel:'.length))?.app === r1) continue;
            if (method === 'POST') ctx.hub.subscribe(r1, s);
            else if (!ctx.hub.unsubscribe(r1, s)) throw new AriError(422, { message: 'Event source was not subscribed to' });
          }
          return sendJson(res, 200, applicationJson(ctx, r1));
        }
        break;
      }

      case 'channels':
        if (segs.length === 1) {
          if (method === 'GET') return sendJson(res, 200, [...ex.state.channels.values()].map((c) => channelJson(c)));
          if (method === 'POST') return sendJson(res, 200, ex.channels.originate(originateParams(params, variables)));
          break;
        }
        if (r1 === 'create' || r1 === 'externalMedia') {
          return sendJson(res, 501, { message: 'Not implemented by the simulator' });
        }
        if (r1 !== undefined && segs.length === 2) {
          if (method === 'GET') return sendJson(res, 200, channelJson(ex.state.channel(r1)));
          if (method === 'POST') return sendJson(res, 200, ex.channels.originate(originateParams(params, variables, r1)));
          if (method === 'DELETE') {
            const cause = reasonToCause(params.reason, params.reason_code);
            if (cause === null) throw new AriError(400, { message: 'Invalid reason for hangup provided' });
            ex.channels.hangup(r1, cause);
            return sendEmpty(res);
          }
          break;
        }
        if (r1 !== undefined && segs.length >= 3) {
          switch (`${method} ${r2}${segs.length === 4 ? '/:id' : ''}`) {
            case 'POST answer':
              ex.controls.answer(r1);
              return sendEmpty(res);
            case 'POST ring':
            case 'DELETE ring':
              ex.controls.ring(r1);
              return sendEmpty(res);
            case 'POST dtmf':
              ex.controls.sendDtmf(r1, params.dtmf);
              return sendEmpty(res);
            case 'POST moh':
              ex.controls.startMoh(r1, params.mohClass);
              return sendEmpty(res);
            case 'DELETE moh':
              ex.controls.stopMoh(r1);
              return sendEmpty(res);
            case 'POST mute':
            case 'DELETE mute':
              ex.controls.mute(r1, params.direction, method === 'POST');
              return sendEmpty(res);
            case 'POST play':
            case 'POST play/:id':
              return play({ channelId: r1 });
            case 'GET variable':
              return sendJson(res, 200, { value: ex.controls.getVariable(r1, params.variable) });
            case 'POST variable':
              ex.controls.setVariable(r1, params.variable, params.value ?? '');
              return sendEmpty(res);
          }
        }
        break;

      case 'bridges':
        if (segs.length === 1) {
          if (method === 'GET') return sendJson(res, 200, [...ex.state.bridges.values()].map(bridgeJson));
          if (method === 'POST') return sendJson(res, 200, ex.bridges.create(params.type, params.name, params.bridgeId));
          break;
        }
        if (r1 !== undefined && segs.length === 2) {
          if (method === 'GET') return sendJson(res, 200, bridgeJson(ex.state.bridge(r1)));
          if (method === 'POST') return sendJson(res, 200, ex.bridges.create(params.type, params.name, r1));
          if (method === 'DELETE') {
            ex.bridges.destroy(r1);
            return sendEmpty(res);
          }
          break;
        }
        if (r1 !== undefined && segs.length >= 3) {
          switch (`${method} ${r2}${segs.length === 4 ? '/:id' : ''}`) {
            case 'POST addChannel':
              ex.bridges.add(r1, list(params.channel));
              return sendEmpty(res);
            case 'POST removeChannel':
              ex.bridges.remove(r1, list(params.channel));
              return sendEmpty(res);
            case 'POST moh':
              ex.bridges.startMoh(r1);
              return sendEmpty(res);
            case 'DELETE moh':
              ex.bridges.stopMoh(r1);
              return sendEmpty(res);
            case 'POST play':
            case 'POST play/:id':
              return play({ bridgeId: r1 });
          }
        }
        break;

      case 'playbacks':
        if (r1 !== undefined && segs.length === 2) {
          if (method === 'GET') return sendJson(res, 200, ex.playbacks.json(r1));
          if (method === 'DELETE') {
            ex.playbacks.stop(r1);
            return sendEmpty(res);
          }
        }
        break;

      case 'endpoints':
        if (method !== 'GET') break;
        if (segs.length === 1) return sendJson(res, 200, ex.endpoints.names().map((n) => ex.endpoints.json(n)));
        if (segs.length === 2) {
          if (r1!.toUpperCase() !== 'PJSIP') throw notFound('Endpoint');
          return sendJson(res, 200, ex.endpoints.names().map((n) => ex.endpoints.json(n)));
        }
        if (segs.length === 3) {
          if (r1!.toUpperCase() !== 'PJSIP' || !ex.endpoints.exists(r2!)) throw notFound('Endpoint');
          return sendJson(res, 200, ex.endpoints.json(r2!));
        }
        break;

      case 'deviceStates':
        if (method === 'GET' && segs.length === 1) return sendJson(res, 200, []);
        break;
    }
    return sendJson(res, 404, { message: 'Resource not found' });
  } catch (err) {
    if (err instanceof AriError) return sendJson(res, err.status, err.body);
    throw err;
  }
}
