/**
 * The bench checks its own results so that a fast wrong run cannot look good: a figure is only reported
 * when the work behind it was really done. Pure functions over what the bench collected (HTTP answers,
 * database rows, the simulator's originate log); each returns the problems it found, empty when all is well.
 */

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'expired', 'canceled']);

export interface AcceptTally {
  /** 2xx answers autocannon counted */
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** callback_requests rows the run added */
  rowsAdded: number;
  /** requests that may still have been in flight when the load stopped (autocannon's connections): committed but not counted */
  inFlight: number;
  /** rows of the run still not marked enqueued (outbox) after the run settled */
  notEnqueued: number;
  /** Bull jobs waiting (no worker runs during the accept bench) */
  jobsWaiting: number;
  /** rows in the database in all, since the queue holds a job for every one */
  rowsTotal: number;
}

/** Every 202 is a committed row, every row is on the queue, and nothing was refused or lost. */
export function checkAccept(t: AcceptTally): string[] {
  const p: string[] = [];
  if (t.ok === 0) p.push('no request was accepted');
  if (t.non2xx > 0) p.push(`${t.non2xx} answers were not 2xx (a limit or an error refused part of the load)`);
  if (t.errors > 0) p.push(`${t.errors} connection errors`);
  if (t.timeouts > 0) p.push(`${t.timeouts} requests timed out`);
  if (t.rowsAdded < t.ok || t.rowsAdded > t.ok + t.inFlight) p.push(`${t.ok} requests answered 2xx but ${t.rowsAdded} rows were stored`);
  if (t.notEnqueued > 0) p.push(`${t.notEnqueued} stored requests never reached the queue`);
  if (t.jobsWaiting !== t.rowsTotal) p.push(`${t.rowsTotal} stored requests but ${t.jobsWaiting} jobs on the queue`);
  return p;
}

export interface RequestRow { id: string; phone: string; status: string; attempts: number; outcomes: (string | null)[] }
export interface OriginateRow { channelId: string; number?: string; endpoint: string }

export interface CallsCheckInput {
  /** what the bench got a 202 for */
  acceptedIds: readonly string[];
  /** those requests as stored, with their attempts */
  rows: readonly RequestRow[];
  /** every originate the simulator saw during the run */
  originates: readonly OriginateRow[];
  /** the outcome every attempt must end with (the sim rules make it certain), e.g. `busy` or `answered` */
  expectOutcome: string;
  expectStatus: string;
}

/**
 * Every accepted request reached a final state with exactly one attempt and the expected outcome; each
 * visitor was dialed exactly once; no channel id was originated twice (a double dial would show as either).
 */
export function checkCalls(c: CallsCheckInput): string[] {
  const p: string[] = [];
  const byId = new Map(c.rows.map((r) => [r.id, r]));
  const missing = c.acceptedIds.filter((id) => !byId.has(id));
  if (missing.length) p.push(`${missing.length} accepted requests are not in the database (e.g. ${missing[0]})`);
  const count = (pred: (r: RequestRow) => boolean) => c.acceptedIds.map((id) => byId.get(id)).filter((r): r is RequestRow => !!r && pred(r));
  const notFinal = count((r) => !FINAL_STATUSES.has(r.status));
  if (notFinal.length) p.push(`${notFinal.length} requests never reached a final state (e.g. ${notFinal[0]!.id} is ${notFinal[0]!.status})`);
  const wrongStatus = count((r) => FINAL_STATUSES.has(r.status) && r.status !== c.expectStatus);
  if (wrongStatus.length) p.push(`${wrongStatus.length} requests ended ${wrongStatus[0]!.status} instead of ${c.expectStatus}`);
  const attempts = count((r) => r.attempts !== 1);
  if (attempts.length) p.push(`${attempts.length} requests have ${attempts[0]!.attempts} attempts instead of 1`);
  const outcome = count((r) => r.outcomes.some((o) => o !== c.expectOutcome));
  if (outcome.length) p.push(`${outcome.length} requests have an attempt outcome other than ${c.expectOutcome} (e.g. ${outcome[0]!.outcomes.join(',')})`);

  const channelCount = new Map<string, number>();
  for (const o of c.originates) channelCount.set(o.channelId, (channelCount.get(o.channelId) ?? 0) + 1);
  const twice = [...channelCount].filter(([, n]) => n > 1);
  if (twice.length) p.push(`${twice.length} channel ids were originated more than once (e.g. ${twice[0]![0]})`);

  const dialsPerNumber = new Map<string, number>();
  for (const o of c.originates) {
    if (!o.channelId.startsWith('bk-v-') || !o.number) continue;
    dialsPerNumber.set(o.number, (dialsPerNumber.get(o.number) ?? 0) + 1);
  }
  let notDialed = 0;
  let dialedTwice = 0;
  for (const id of c.acceptedIds) {
    const r = byId.get(id);
    if (!r) continue;
    const n = dialsPerNumber.get(r.phone.replace(/^\+/, '')) ?? 0;
    if (n === 0) notDialed++;
    if (n > 1) dialedTwice++;
  }
  if (notDialed) p.push(`${notDialed} accepted visitors were never dialed`);
  if (dialedTwice) p.push(`${dialedTwice} visitors were dialed more than once`);
  return p;
}
