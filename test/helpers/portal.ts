import type { Sim } from '../../src/sim/index.ts';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';
import { ARI_AUTH } from './sim-ari.ts';

/** A minimal browser for form-based pages: keeps cookies, reads the CSRF field, posts urlencoded forms. */
export class FormClient {
  private cookies = new Map<string, string>();
  csrf = '';
  /** Each client looks like its own visitor IP (the stack trusts X-Forwarded-For), so per-IP limits do not mix tests. */
  readonly ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  constructor(readonly base: string) {}

  private cookieHeader(): string { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }

  private keep(r: Response): void {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name); else this.cookies.set(name, value);
    }
  }

  /** Keeps the answer's cookies and the CSRF field of its page (when it has one); resolves with its body. */
  private async read(r: Response): Promise<string> {
    this.keep(r);
    const text = await r.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return text;
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; location: string | null; json: any }> {
    const r = await fetch(this.base + path, { redirect: 'manual', headers: { accept: 'text/html', cookie: this.cookieHeader(), 'x-forwarded-for': this.ip, ...headers } });
    const text = await this.read(r);
    let json: any = null;
    try { json = JSON.parse(text); } catch { /* html */ }
    return { status: r.status, text, location: r.headers.get('location'), json };
  }

  async post(path: string, form: Record<string, string>, opts: { csrf?: string | null } = {}): Promise<{ status: number; text: string; location: string | null }> {
    const body = new URLSearchParams(form);
    const token = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (token !== null) body.set('_csrf', token);
    const r = await fetch(this.base + path, {
      method: 'POST', redirect: 'manual', body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: this.cookieHeader(), 'x-forwarded-for': this.ip },
    });
    const text = await this.read(r);
    return { status: r.status, text, location: r.headers.get('location') };
  }

  hasSession(): boolean { return this.cookies.has('beckon.sid'); }
  /** The Cookie header this browser sends (for clients of its own: event streams). */
  cookie(): string { return this.cookieHeader(); }
  /** Any request as this browser (its cookies and address), for JSON APIs and methods other than GET/POST. */
  async send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
    const r = await fetch(this.base + path, { method, redirect: 'manual', body, headers: { cookie: this.cookieHeader(), 'x-forwarded-for': this.ip, ...headers } });
    this.keep(r);
    return { status: r.status, text: await r.text() };
  }
}

let signupCounter = 0;
export function signupForm(over: Record<string, string> = {}): Record<string, string> {
  signupCounter++;
  const n = `${Date.now().toString(36)}${signupCounter}`;
  return {
    name: `Shop ${n}`, email: `owner-${n}@example.com`, password: 'correct horse battery', domains: `shop-${n}.example.com`,
    phone: '+1 202 555 0142', country: 'US', timezone: 'America/Chicago', ...over,
  };
}

export async function signUp(base: string, over: Record<string, string> = {}): Promise<{ client: FormClient; form: Record<string, string>; location: string | null; status: number; text: string }> {
  const client = new FormClient(base);
  await client.get('/signup');
  const form = signupForm(over);
  const r = await client.post('/signup', form);
  return { client, form, location: r.location, status: r.status, text: r.text };
}

/** A browser logged in to the portal as a subscriber's owner: the demo subscriber's unless `login` says whose. */
export async function ownerClient(base: string, login: { email: string; password: string } = DEMO_LOGIN): Promise<FormClient> {
  const c = new FormClient(base);
  await c.get('/login');
  const r = await c.post('/login', { email: login.email, password: login.password });
  if (r.status !== 303) throw new Error(`portal login failed: ${r.status} ${r.text.slice(0, 200)}`);
  return c;
}

/** A browser logged in to the operator console (the stack's ADMIN_EMAIL / ADMIN_PASSWORD). */
export async function operatorClient(base: string, admin: { email: string; password: string }): Promise<FormClient> {
  const c = new FormClient(base);
  await c.get('/admin/login');
  const r = await c.post('/admin/login', { email: admin.email, password: admin.password, next: '/admin' });
  if (r.status !== 303 || r.location !== '/admin') throw new Error(`operator login failed: ${r.status} ${r.text.slice(0, 200)}`);
  return c;
}

/**
 * The code as the phone heard it: the verification call's playback at the simulator, found through the
 * call the sim saw for that number (never read from our database).
 */
export async function codeSpokenTo(sim: Sim, e164: string, timeoutMs = 8000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const number = e164.replace('+', '');
  while (Date.now() < deadline) {
    const calls = sim.originates({ number }).filter((o) => o.channelId.startsWith('bkver-'));
    const last = calls[calls.length - 1];
    if (last) {
      const r = await fetch(`${sim.ariUrl}/ari/playbacks/${encodeURIComponent(`${last.channelId}-code`)}`, { headers: ARI_AUTH });
      if (r.ok) {
        const pb = await r.json() as { media_uri?: string };
        const m = /^digits:(\d{6})$/.exec(pb.media_uri ?? '');
        if (m) return m[1]!;
      }
    }
    await new Promise((res) => setTimeout(res, 15));
  }
  throw new Error(`no code spoken to ${e164}`);
}
