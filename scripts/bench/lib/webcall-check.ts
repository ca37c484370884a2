/**
 * Pairing and checking for the web-call set-up bench (scenarios/webcall-setup.ts). Pure: what the bench
 * collected (the browsers' SIP traces, the rows stored, the simulator's originate log) in, latencies and
 * problems out.
 */

/** One web call as the bench placed it. */
export interface PlacedCall {
  /** the request the ticket belongs to (Beckon), or the ticket text itself (the bare baseline) */
  key: string;
  /** when the timer starts: the ticket's 201 (Beckon) or the INVITE leaving (baseline) */
  startAt: number;
  /** final SIP status the browser got, null for none */
  final: number | null;
  /** every status the browser got for its INVITE */
  statuses: number[];
  /** when the browser got 180 Ringing (the worker running the call rang it), if it did */
  ringingAt?: number;
}

export interface OriginateSeen { channelId: string; endpoint: string; appArgs: string; at: number }

/** Beckon's attempt of a web call, as stored. */
export interface WebcallAttemptRow { requestId: string; status: string; attempts: number; flow: string | null; outcome: string | null; calleeChannelId: string | null }

/** Milliseconds from each call's start to its callee's originate; a call whose callee was never originated gives no sample. */
export function setupLatencies(calls: readonly PlacedCall[], calleeOf: (c: PlacedCall) => OriginateSeen | undefined): number[] {
  const out: number[] = [];
  for (const c of calls) {
    const o = calleeOf(c);
    if (o) out.push(o.at - c.startAt);
  }
  return out;
}

/** Beckon's callee: the originate of the channel its request's attempt names. */
export function beckonCalleeFinder(rows: readonly WebcallAttemptRow[], originates: readonly OriginateSeen[]): (c: PlacedCall) => OriginateSeen | undefined {
  const byChannel = new Map(originates.map((o) => [o.channelId, o]));
  const channelOf = new Map(rows.map((r) => [r.requestId, r.calleeChannelId]));
  return (c) => byChannel.get(channelOf.get(c.key) ?? '');
}

/** The baseline's callee: the originate whose appArgs carry the call's ticket (`callee,<ticket>`). */
export function bareCalleeFinder(originates: readonly OriginateSeen[]): (c: PlacedCall) => OriginateSeen | undefined {
  const byTicket = new Map<string, OriginateSeen>();
  for (const o of originates) {
    const m = /^callee,(.+)$/.exec(o.appArgs);
    if (m) byTicket.set(m[1]!, o);
  }
  return (c) => byTicket.get(c.key);
}

export interface WebcallCheckInput {
  calls: readonly PlacedCall[];
  /** how many tickets were asked for (a refused POST is a call that never happened) */
  asked: number;
  /** originates of the callee's phone seen at the simulator during the run */
  calleeOriginates: readonly OriginateSeen[];
  /** Beckon only: the requests as stored */
  rows?: readonly WebcallAttemptRow[];
  /** the SIP final every browser must get (the callee is busy: 486) */
  expectFinal: number;
  /** Beckon only: the request's final status and the attempt's outcome */
  expectStatus?: string;
  expectOutcome?: string;
  /** channels still up at the simulator once the run settled */
  channelsLeft: number;
}

/**
 * Every ticket asked for was issued; every browser got the expected final and never a 200; the callee's phone
 * rang once per call and no more; (Beckon) every request ended as expected with one `web_inbound` attempt whose
 * callee channel is one of those originates; nothing was left up.
 */
export function checkWebcalls(c: WebcallCheckInput): string[] {
  const p: string[] = [];
  if (c.calls.length !== c.asked) p.push(`${c.asked} tickets asked for but ${c.calls.length} calls placed`);
  const noFinal = c.calls.filter((x) => x.final === null).length;
  if (noFinal) p.push(`${noFinal} browsers got no final answer to their INVITE`);
  const wrong = c.calls.filter((x) => x.final !== null && x.final !== c.expectFinal);
  if (wrong.length) p.push(`${wrong.length} browsers got ${wrong[0]!.final} instead of ${c.expectFinal}`);
  const answered = c.calls.filter((x) => x.statuses.includes(200)).length;
  if (answered) p.push(`${answered} browsers were answered (200) although the callee was busy`);
  if (c.calleeOriginates.length !== c.calls.length) p.push(`${c.calls.length} calls but the callee's phone was rung ${c.calleeOriginates.length} times`);
  const seen = new Map<string, number>();
  for (const o of c.calleeOriginates) seen.set(o.channelId, (seen.get(o.channelId) ?? 0) + 1);
  const twice = [...seen.values()].filter((n) => n > 1).length;
  if (twice) p.push(`${twice} callee channel ids were originated more than once`);
  if (c.rows) {
    const byId = new Map(c.rows.map((r) => [r.requestId, r]));
    const missing = c.calls.filter((x) => !byId.has(x.key)).length;
    if (missing) p.push(`${missing} web calls have no request row`);
    const rows = c.calls.map((x) => byId.get(x.key)).filter((r): r is WebcallAttemptRow => !!r);
    const status = rows.filter((r) => r.status !== c.expectStatus);
    if (status.length) p.push(`${status.length} requests ended ${status[0]!.status} instead of ${c.expectStatus}`);
    const attempts = rows.filter((r) => r.attempts !== 1 || r.flow !== 'web_inbound');
    if (attempts.length) p.push(`${attempts.length} requests do not have exactly one web_inbound attempt (e.g. ${attempts[0]!.attempts} of flow ${attempts[0]!.flow})`);
    const outcome = rows.filter((r) => r.attempts === 1 && r.outcome !== c.expectOutcome);
    if (outcome.length) p.push(`${outcome.length} attempts ended ${outcome[0]!.outcome} instead of ${c.expectOutcome}`);
    const unrung = rows.filter((r) => !r.calleeChannelId || !seen.has(r.calleeChannelId)).length;
    if (unrung) p.push(`${unrung} attempts name a callee channel the simulator never originated`);
  }
  if (c.channelsLeft) p.push(`${c.channelsLeft} channels left up at the simulator`);
  return p;
}
