/**
 * A browser-ish client for the server-rendered pages and their JSON endpoints: keeps cookies, reads the CSRF
 * token from the last page (form field or data-csrf attribute), never follows redirects.
 */
export function webClient(base: string) {
  const jar = new Map<string, string>();
  let csrf = '';
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  async function go(path: string, init: RequestInit = {}): Promise<{ status: number; text: string; json: any; location: string | null }> {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', cookie());
    const r = await fetch(base + path, { ...init, headers, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) { const [kv] = c.split(';'); const i = kv!.indexOf('='); jar.set(kv!.slice(0, i), kv!.slice(i + 1)); }
    const text = await r.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text) ?? /data-csrf="([^"]+)"/.exec(text);
    if (m) csrf = m[1]!;
    let json: any = null;
    try { json = JSON.parse(text); } catch { /* html */ }
    return { status: r.status, text, json, location: r.headers.get('location') };
  }
  return {
    go,
    get csrf() { return csrf; },
    cookie,
    /** An urlencoded form post with the CSRF token; a list value repeats its field (checkbox groups). */
    form(path: string, body: Record<string, string | string[]>) {
      const p = new URLSearchParams({ _csrf: csrf });
      for (const [k, v] of Object.entries(body)) for (const x of [v].flat()) p.append(k, x);
      return go(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: p.toString() });
    },
    /** A JSON post as the pages' scripts send it. */
    api(path: string, body: unknown) {
      return go(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf, 'x-requested-with': 'fetch' }, body: JSON.stringify(body) });
    },
  };
}
