import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_AUTH } from './bench-env.ts';

export interface Accepted { id: string; phone: string; sentAt: number; acceptedAt: number }
export interface LoadTally { accepted: Accepted[]; refused: { status: number; body: string }[]; errors: string[] }

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with the simulator's Date.now() stamps. */
export const nowMs = () => performance.timeOrigin + performance.now();

/** One visitor per request, as from many browsers: the widget's visitorId keys the per-visitor limit. */
export function callbackBody(phone: string): string {
  return JSON.stringify({
    subscriber: 'demo', phone, name: 'Bench Visitor', pageUrl: 'http://localhost/pricing', consent: true,
    visitorId: `bench-visitor-${phone.replace(/\D/g, '')}`,
  });
}

function post(agent: http.Agent, base: URL, path: string, body: string): Promise<{ status: number; text: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: base.hostname, port: base.port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: BENCH_AUTH } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), at: nowMs() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function postCallback(agent: http.Agent, base: URL, phone: string, tally: LoadTally): Promise<void> {
  const sentAt = nowMs();
  try {
    const r = await post(agent, base, '/api/v1/callbacks', callbackBody(phone));
    if (r.status === 202) tally.accepted.push({ id: JSON.parse(r.text).id, phone, sentAt, acceptedAt: r.at });
    else tally.refused.push({ status: r.status, body: r.text.slice(0, 300) });
  } catch (err) {
    tally.errors.push((err as Error).message);
  }
}

/**
 * Open-loop load: requests leave on a fixed schedule (`rate` per second) whether or not earlier ones have been
 * answered, as visitors do; a slow server therefore shows up as latency, not as a politely lower rate.
 */
export async function steadyLoad(o: { base: string; rate: number; durationSec: number; phones: () => string }): Promise<LoadTally> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const base = new URL(o.base);
  const tally: LoadTally = { accepted: [], refused: [], errors: [] };
  const inflight = new Set<Promise<void>>();
  const total = Math.round(o.rate * o.durationSec);
  const start = nowMs();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * o.rate) + 1);
    while (sent < due) {
      const p = postCallback(agent, base, o.phones(), tally).finally(() => inflight.delete(p));
      inflight.add(p);
      sent++;
    }
    await sleep(Math.max(1, Math.min(10, 1000 / o.rate)));
  }
  await Promise.all(inflight);
  agent.destroy();
  return tally;
}

/** As many requests as `concurrency` connections can carry: fills the queue for the dial-rate and call-holding runs. */
export async function burstLoad(o: { base: string; count: number; concurrency: number; phones: () => string }): Promise<LoadTally> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const base = new URL(o.base);
  const tally: LoadTally = { accepted: [], refused: [], errors: [] };
  let next = 0;
  await Promise.all(Array.from({ length: o.concurrency }, async () => {
    while (next < o.count) {
      next++;
      await postCallback(agent, base, o.phones(), tally);
    }
  }));
  agent.destroy();
  return tally;
}
