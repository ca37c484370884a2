/** One Server-Sent Event as a test reads it. */
export interface SseEvent { id: string | null; event: string; data: any }

/**
 * A Server-Sent Events client over fetch, as a browser's EventSource would connect (optionally with
 * Last-Event-ID): collects every event; `waitFor` resolves once a predicate holds over what arrived; `ended`
 * resolves once the stream is over (the server closed it, or close() was called).
 */
export async function openSse(url: string, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  let ended: Promise<void> = Promise.resolve();
  if (res.ok && res.body) {
    ended = (async () => {
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let id: string | null = null; let event = 'message'; let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (!data) continue;
            events.push({ id, event, data: JSON.parse(data) });
            for (const w of waiters.splice(0)) w();
          }
        }
      } catch { /* aborted */ }
    })();
  }
  return {
    status: res.status,
    /** The answer's body when the stream was refused (its JSON error), else null. */
    refusal: res.ok ? null : await res.json().catch(() => null),
    events,
    ended,
    of: (name: string) => events.filter((e) => e.event === name),
    async waitFor(pred: (events: SseEvent[]) => boolean, ms = 10_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (!pred(events)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`SSE: condition not met in ${ms} ms; got ${JSON.stringify(events.map((e) => [e.event, e.id]))}`);
        await new Promise<void>((r) => { const t = setTimeout(r, Math.min(left, 200)); waiters.push(() => { clearTimeout(t); r(); }); });
      }
    },
    close: () => ac.abort(),
  };
}
