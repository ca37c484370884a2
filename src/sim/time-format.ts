const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ARI timestamps: `2026-11-22T02:19:36.825+0000` (UTC, milliseconds, no colon in the offset). */
export function ariTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`
  );
}

/** CDR times: `2026-11-22 02:37:02` (UTC, whole seconds). */
export function cdrTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/**
 * Whole seconds between two instants as Asterisk's CDRs count them: the milliseconds between them divided by
 * 1000 and truncated (cdr.c; 4.9 s is 4), unless asterisk.conf sets `initiatedseconds`, which Beckon's does not.
 */
export function wholeSeconds(fromMs: number, toMs: number): number {
  return Math.max(0, Math.floor((toMs - fromMs) / 1000));
}
