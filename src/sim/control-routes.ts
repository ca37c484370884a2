import type { IncomingMessage, ServerResponse } from 'node:http';
import { AriError } from './ari-error.ts';
import { parseJsonBody, readBody, sendEmpty, sendJson, pathSegments } from './http-util.ts';
import type { PhoneRule } from './phone-rules.ts';
import type { OriginateRecord } from './model.ts';
import type { RestFault } from './rest-faults.ts';
import type { PhoneCall } from './phone-log.ts';

/** The operations tests and the demo use to script the simulator; the Sim object offers the same. */
export interface SimControl {
  setRules(rules: PhoneRule[]): void;
  resetRules(): void;
  rules(): PhoneRule[];
  setEndpoint(name: string, state: { behavior?: unknown; reachable?: unknown }): void;
  originates(filter?: { number?: string }): OriginateRecord[];
  clearOriginates(): void;
  channels(): object[];
  /** Every ARI WebSocket ends at the TCP level; `silent`: goes dead without a close instead (AriHub.silenceAll). */
  dropWebSockets(o?: { silent?: boolean }): void;
  /** Sends one event to an app's socket as it is given: a type a client's API docs lack, as a newer Asterisk may send. */
  sendAppEvent(app: string, event: Record<string, unknown>): void;
  /** downMs: nothing answers; then REST answers while WebSockets are refused for wsGapMs (defaults: SimOptions). */
  restart(downMs?: number, wsGapMs?: number): Promise<void>;
  farEndHangup(channelId: string): void;
  sendDtmf(channelId: string, digit: string): void;
  /** A person picks up the ringing phone of this channel. */
  answer(channelId: string): void;
  /** What each phone rang, heard and pressed, newest first. */
  calls(): PhoneCall[];
  clearCalls(): void;
  /** ARI REST requests to delay or fail (rest-faults.ts); replaces the faults set before. */
  setFaults(faults: RestFault[]): void;
  faults(): RestFault[];
  clearFaults(): void;
  /**
   * A browser calls the anonymous WebRTC endpoint without a browser: `channelId` of the channel in the inbound app,
   * or null with the final SIP status the caller got at once (603 when the app has no socket, 404 no extension).
   */
  placeWebCall(call: WebCallRequest): { channelId: string | null; status: number | null };
  /** The web call's browser hangs up: BYE when answered, CANCEL before. */
  hangUpWebCall(channelId: string): void;
  /** A browser agent account (webagentN) and its password; null removes it. */
  setWebAgent(name: string, password: string | null): void;
}

/** POST /sim/webcalls: what the browser's INVITE carries. */
export interface WebCallRequest {
  /** X-Beckon-Ticket; absent: no header */
  ticket?: string;
  /** From display name, default "Web Visitor" */
  callerName?: string;
  /** the extension dialed, default callback */
  exten?: string;
}

/** One control request as a route sees it: `id` is the path segment after the list's name (endpoints/, channels/, …). */
interface ControlRequest {
  sim: SimControl;
  id: string;
  /** the JSON body (POST, PUT) */
  body: unknown;
  /** the body's fields when it is an object, else none */
  fields: Record<string, unknown>;
  url: URL;
}

/** A JSON answer; a route that returns nothing answers 204. `then` runs once the answer is sent. */
interface Reply {
  status: number;
  json: unknown;
  then?: () => void;
}

type Route = (r: ControlRequest) => Reply | void;

const ok = (json: unknown): Reply => ({ status: 200, json });

/**
 * A list the control API reads (GET), replaces (PUT: the list as the body, or under the list's name, answered
 * with the new list) and empties (DELETE).
 */
interface ListResource {
  read(r: ControlRequest): unknown;
  replace?(sim: SimControl, items: unknown): void;
  clear?(sim: SimControl): void;
}

const LISTS: Record<string, ListResource> = {
  rules: { read: (r) => r.sim.rules(), replace: (sim, items) => sim.setRules(items as PhoneRule[]), clear: (sim) => sim.resetRules() },
  faults: { read: (r) => r.sim.faults(), replace: (sim, items) => sim.setFaults(items as RestFault[]), clear: (sim) => sim.clearFaults() },
  originates: {
    read: (r) => {
      const number = r.url.searchParams.get('number');
      return r.sim.originates(number ? { number } : undefined);
    },
    clear: (sim) => sim.clearOriginates(),
  },
  calls: { read: (r) => r.sim.calls(), clear: (sim) => sim.clearCalls() },
  channels: { read: (r) => r.sim.channels() },
};

function listRoutes(): Record<string, Route> {
  const routes: Record<string, Route> = {};
  for (const [name, list] of Object.entries(LISTS)) {
    routes[`GET ${name}`] = (r) => ok(list.read(r));
    const { replace, clear } = list;
    if (replace) {
      routes[`PUT ${name}`] = (r) => {
        replace(r.sim, Array.isArray(r.body) ? r.body : r.fields[name]);
        return ok(list.read(r));
      };
    }
    if (clear) routes[`DELETE ${name}`] = (r) => clear(r.sim);
  }
  return routes;
}

/** The lists whose second path segment is an id. */
const ID_LISTS = new Set(['endpoints', 'channels', 'webcalls', 'webagents']);

/** Route keys are `METHOD path`, with `:id` for the segment after endpoints/, channels/, webcalls/ or webagents/. */
const ROUTES: Record<string, Route> = {
  ...listRoutes(),
  'PUT endpoints/:id': (r) => r.sim.setEndpoint(r.id, r.fields),
  'POST ws/drop': (r) => r.sim.dropWebSockets({ silent: r.fields.silent === true }),
  'POST ws/event': (r) => {
    const { app, event } = r.fields;
    if (typeof app !== 'string' || !event || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string') {
      return { status: 400, json: { message: 'app (string) and event (an object with a type) are required' } };
    }
    r.sim.sendAppEvent(app, event as Record<string, unknown>);
  },
  'POST restart': (r) => {
    const downMs = typeof r.fields.downMs === 'number' ? r.fields.downMs : undefined;
    const wsGapMs = typeof r.fields.wsGapMs === 'number' ? r.fields.wsGapMs : undefined;
    // The restart closes this very listener, so it starts once the answer is on its way.
    return { status: 202, json: { restarting: true }, then: () => void r.sim.restart(downMs, wsGapMs).catch(() => undefined) };
  },
  'POST channels/:id/hangup': (r) => r.sim.farEndHangup(r.id),
  'POST channels/:id/dtmf': (r) => r.sim.sendDtmf(r.id, String(r.fields.digit ?? '')),
  'POST channels/:id/answer': (r) => r.sim.answer(r.id),
  'POST webcalls': (r) => {
    const str = (k: string) => (typeof r.fields[k] === 'string' ? (r.fields[k] as string) : undefined);
    const call: WebCallRequest = {};
    const ticket = str('ticket'), callerName = str('callerName'), exten = str('exten');
    if (ticket !== undefined) call.ticket = ticket;
    if (callerName !== undefined) call.callerName = callerName;
    if (exten !== undefined) call.exten = exten;
    const placed = r.sim.placeWebCall(call);
    return { status: placed.channelId ? 201 : 200, json: placed };
  },
  'DELETE webcalls/:id': (r) => r.sim.hangUpWebCall(r.id),
  'PUT webagents/:id': (r) => {
    if (typeof r.fields.password !== 'string' || r.fields.password === '') throw new Error('password must be a non-empty string');
    r.sim.setWebAgent(r.id, r.fields.password);
  },
  'DELETE webagents/:id': (r) => r.sim.setWebAgent(r.id, null),
};

/** Handles /sim/...: JSON in and out, no authentication (it is a test harness, not a product API). */
export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, sim: SimControl): Promise<void> {
  const segs = pathSegments(url);
  const method = req.method ?? 'GET';
  let body: unknown = {};
  try {
    if (method === 'POST' || method === 'PUT') body = parseJsonBody(await readBody(req));
  } catch {
    return sendJson(res, 400, { error: 'malformed JSON body' });
  }
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const key = `${method} ${segs.map((s, i) => (i === 1 && ID_LISTS.has(segs[0]!) ? ':id' : s)).join('/')}`;
  const route = Object.hasOwn(ROUTES, key) ? ROUTES[key] : undefined;
  if (!route) return sendJson(res, 404, { error: 'no such control route' });
  try {
    const reply = route({ sim, id: segs[1] ?? '', body, fields, url });
    if (!reply) return sendEmpty(res);
    sendJson(res, reply.status, reply.json);
    if (reply.then) res.on('finish', reply.then);
  } catch (err) {
    if (err instanceof AriError) return sendJson(res, err.status, { error: err.message });
    if (err instanceof Error) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}
