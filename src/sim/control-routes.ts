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
  dropWebSockets(): void;
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
}

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
  const obj = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const route = `${method} ${segs.map((s, i) => (i === 1 && (segs[0] === 'endpoints' || segs[0] === 'channels') ? ':id' : s)).join('/')}`;
  const id = segs[1] ?? '';
  try {
    switch (route) {
      case 'GET rules':
        return sendJson(res, 200, sim.rules());
      case 'PUT rules':
        sim.setRules((Array.isArray(body) ? body : obj.rules) as PhoneRule[]);
        return sendJson(res, 200, sim.rules());
      case 'DELETE rules':
        sim.resetRules();
        return sendEmpty(res);
      case 'PUT endpoints/:id':
        sim.setEndpoint(id, obj);
        return sendEmpty(res);
      case 'GET originates': {
        const number = url.searchParams.get('number');
        return sendJson(res, 200, sim.originates(number ? { number } : undefined));
      }
      case 'DELETE originates':
        sim.clearOriginates();
        return sendEmpty(res);
      case 'GET channels':
        return sendJson(res, 200, sim.channels());
      case 'POST ws/drop':
        sim.dropWebSockets();
        return sendEmpty(res);
      case 'POST restart': {
        const downMs = typeof obj.downMs === 'number' ? obj.downMs : undefined;
        const wsGapMs = typeof obj.wsGapMs === 'number' ? obj.wsGapMs : undefined;
        sendJson(res, 202, { restarting: true });
        // The restart closes this very listener, so it starts once the answer is on its way.
        res.on('finish', () => void sim.restart(downMs, wsGapMs).catch(() => undefined));
        return;
      }
      case 'POST channels/:id/hangup':
        sim.farEndHangup(id);
        return sendEmpty(res);
      case 'GET faults':
        return sendJson(res, 200, sim.faults());
      case 'PUT faults':
        sim.setFaults((Array.isArray(body) ? body : obj.faults) as RestFault[]);
        return sendJson(res, 200, sim.faults());
      case 'DELETE faults':
        sim.clearFaults();
        return sendEmpty(res);
      case 'POST channels/:id/dtmf':
        sim.sendDtmf(id, String(obj.digit ?? ''));
        return sendEmpty(res);
      case 'POST channels/:id/answer':
        sim.answer(id);
        return sendEmpty(res);
      case 'GET calls':
        return sendJson(res, 200, sim.calls());
      case 'DELETE calls':
        sim.clearCalls();
        return sendEmpty(res);
    }
    return sendJson(res, 404, { error: 'no such control route' });
  } catch (err) {
    if (err instanceof AriError) return sendJson(res, err.status, { error: err.message });
    if (err instanceof Error) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}
