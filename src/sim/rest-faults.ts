/**
 * Faults injected into the simulator's ARI REST answers, for tests of Asterisk failing mid-call: requests whose
 * method and path match are delayed (`delayMs`, not scaled) and/or answered with `status` instead of being
 * carried out. `times` bounds how many requests a fault hits (default: all until cleared).
 */
export interface RestFault {
  /** HTTP method, e.g. POST; absent = any */
  method?: string;
  /** regular expression matched against the path under /ari with its query, e.g. "^/bridges/[^/?]+/addChannel\\?channel=bk-c-" */
  path: string;
  status?: number;
  delayMs?: number;
  times?: number;
}

interface Armed { fault: RestFault; re: RegExp; left: number }

export class RestFaults {
  private armed: Armed[] = [];

  set(faults: unknown): void {
    if (!Array.isArray(faults)) throw new Error('faults must be an array');
    this.armed = faults.map((f) => {
      const o = (f ?? {}) as Record<string, unknown>;
      if (typeof o.path !== 'string') throw new Error('each fault needs a path (regular expression)');
      const status = o.status === undefined ? undefined : Number(o.status);
      if (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 599)) throw new Error('status must be 400-599');
      const delayMs = o.delayMs === undefined ? undefined : Number(o.delayMs);
      if (delayMs !== undefined && !(delayMs >= 0 && delayMs <= 120_000)) throw new Error('delayMs must be 0-120000');
      const times = o.times === undefined ? Infinity : Number(o.times);
      if (!(times >= 1)) throw new Error('times must be at least 1');
      const fault: RestFault = { path: o.path, ...(typeof o.method === 'string' ? { method: o.method.toUpperCase() } : {}),
        ...(status !== undefined ? { status } : {}), ...(delayMs !== undefined ? { delayMs } : {}), ...(times !== Infinity ? { times } : {}) };
      return { fault, re: new RegExp(o.path), left: times };
    });
  }

  clear(): void { this.armed = []; }

  list(): RestFault[] { return this.armed.map((a) => ({ ...a.fault, ...(a.left !== Infinity ? { times: a.left } : {}) })); }

  /** The fault that hits this request (counted), or null. `path` is the part under /ari, with the query string. */
  take(method: string, path: string): RestFault | null {
    const hit = this.armed.find((a) => a.left > 0 && (!a.fault.method || a.fault.method === method) && a.re.test(path));
    if (!hit) return null;
    hit.left--;
    return hit.fault;
  }
}
