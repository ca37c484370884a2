/**
 * Coalesces single-row work into multi-row statements.
 *
 * On this kind of machine a PostgreSQL round trip (parse, plan, commit, two socket writes and reads on each
 * side) costs far more CPU than the row it carries: the accept path is bounded by statements per request,
 * not by rows (npm run bench). Items handed in during one turn of the event loop go together; at most
 * `maxInFlight` batches run at once, and whatever arrives meanwhile waits for the next one. Idle, an item
 * goes out on the next turn of the loop, alone, so nothing waits for a batch to fill.
 */
export interface BatcherOptions {
  /** Batches running at once (PostgreSQL connections this batcher may occupy). */
  maxInFlight?: number;
  maxBatch?: number;
  /**
   * For writes nobody waits on (records, CDRs): an idle batcher holds a new item this long for others to join
   * it, so a steady trickle shares statements (and commits) instead of one each. 0 (default): next turn.
   */
  lingerMs?: number;
  /**
   * When a batch fails, run its items one by one so that a single bad item (a constraint it breaks) does not
   * fail the others. Connection errors are not retried: they fail every item anyway.
   */
  retrySingly?: (err: unknown) => boolean;
}

export type Batched<I, O> = (item: I) => Promise<O>;

export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, opts: BatcherOptions = {}): Batched<I, O> {
  const maxInFlight = opts.maxInFlight ?? 1;
  const maxBatch = opts.maxBatch ?? 250;
  const pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;
  const lingerMs = opts.lingerMs ?? 0;

  async function runBatch(batch: typeof pending): Promise<void> {
    try {
      const out = await run(batch.map((b) => b.item));
      if (out.length !== batch.length) throw new Error(`batch returned ${out.length} results for ${batch.length} items`);
      batch.forEach((b, i) => b.resolve(out[i]!));
    } catch (err) {
      if (batch.length > 1 && opts.retrySingly?.(err)) {
        await Promise.all(batch.map((b) => run([b.item]).then((o) => b.resolve(o[0]!), b.reject)));
      } else {
        for (const b of batch) b.reject(err);
      }
    }
  }

  function pump(): void {
    scheduled = false;
    while (inFlight < maxInFlight && pending.length > 0) {
      inFlight++;
      void runBatch(pending.splice(0, maxBatch)).finally(() => {
        inFlight--;
        schedule(false);
      });
    }
  }

  /** `linger`: an item just arrived (items left over from a batch that ended have waited long enough). */
  function schedule(linger: boolean): void {
    if (scheduled || pending.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    // setImmediate rather than a microtask: it runs after the I/O callbacks of this turn, so requests that
    // arrived on several sockets at once share a statement.
    if (linger && lingerMs > 0) setTimeout(pump, lingerMs);
    else setImmediate(pump);
  }

  return (item) => new Promise<O>((resolve, reject) => {
    pending.push({ item, resolve, reject });
    schedule(true);
  });
}

/**
 * A PostgreSQL error raised by a statement's content (any SQLSTATE outside the connection, resources and
 * operator-intervention classes 08/53/57): worth retrying a failed batch item by item (retrySingly), since one
 * item's bad data or a deadlock should not fail the others; a lost server fails them all either way.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|53|57)/.test(code);
}
