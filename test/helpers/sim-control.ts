import type { Sim } from '../../src/sim/index.ts';

/**
 * The simulator's control API (/sim/rules, /sim/calls, /sim/channels/:id/answer|dtmf|hangup, ...), as the demo's
 * phone page and a test driving the simulator over HTTP call it: a JSON body in, the status and parsed body out.
 */
export type SimControl = ReturnType<typeof simControl>;

export function simControl(sim: Sim) {
  return async function control(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${sim.ariUrl}/sim${path}`, {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}
