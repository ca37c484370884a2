/**
 * Waiting on state: each helper reads again every `stepMs` until what it waits for holds or `ms` have passed,
 * so a wait ends as soon as the state is there; the step only bounds how late a change is seen.
 */

/** A fixed pause: the polling step, and the few tests whose point is that nothing happens within a time. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Calls fn until it returns something truthy or the time is up; resolves with its last value either way. */
export async function until<T>(fn: () => T | Promise<T>, ms = 15000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await sleep(stepMs);
  }
}

/** `until` with a file's own default time limit and step (the one its waits were written for). */
export function untilWithin(defaultMs: number, stepMs: number) {
  return <T>(fn: () => T | Promise<T>, ms = defaultMs): Promise<T> => until(fn, ms, stepMs);
}

/** Reads until done(value) holds or the time is up; resolves with the last value read either way. */
export async function pollUntil<T>(read: () => T | Promise<T>, done: (v: T) => boolean, ms: number, stepMs: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await sleep(stepMs);
  }
}

/** Calls f until it returns something truthy; throws, naming `what`, when the time is up first. */
export async function waitFor<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 15000, stepMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}
