/**
 * `work`, or a rejection with `late()` if it has not settled within `ms` (the work goes on, unwatched). For calls
 * whose caller must fail rather than wait for ever: a Redis command while Redis is away, a REST request on a socket
 * Asterisk closed. The timer is cleared as soon as `work` settles, so it keeps the process alive for at most `ms`,
 * and only while somebody waits.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(late()), ms); });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for `work` for at most `ms`: true once it has resolved, false if the time ran out first (the work goes on,
 * unwatched). A rejection of `work` within the time passes through. For waits that must not outlast a start, a stop
 * or a teardown.
 */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<boolean> {
  const timedOut = new Error('timed out');
  try {
    await withDeadline(work, ms, () => timedOut);
    return true;
  } catch (err) {
    if (err === timedOut) return false;
    throw err;
  }
}
