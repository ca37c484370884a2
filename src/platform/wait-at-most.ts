/**
 * Waits for `work` for at most `ms`: true once it has resolved, false if the time ran out first (the work goes on,
 * unwatched). A rejection of `work` within the time passes through. The timer is cleared as soon as the wait ends,
 * so it keeps the process alive for at most `ms`, and only while somebody waits: for waits that must not outlast a
 * start, a stop or a teardown.
 */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `work`, or a rejection with `late()` if it has not settled within `ms` (the work goes on, unwatched). For calls
 * whose caller must fail rather than wait for ever: a Redis command while Redis is away, a REST request on a socket
 * Asterisk closed. The timer is cleared as soon as `work` settles.
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
