import type { Invite } from './invite/triggers.ts';

/** Calls to Beckon's public API. No cookies are ever sent: everything the widget needs is public. */
export interface Directory {
  subscriber: { slug: string; name: string; country: string; timezone: string };
  departments: { id: string; name: string }[];
  skin: { primaryColor?: string; textColor?: string; buttonText?: string; position?: string; logoUrl?: string | null; language?: string };
  open: boolean;
  nextOpening: string | null;
  answeredBy?: string;
  ready?: boolean;
  /** typical minutes until the phone rings when asking now; null when unknown or closed */
  waitEstimateMin?: number | null;
  /** a visitor may call from the browser now: web calls are on, the business is open and can take a call */
  webcall?: boolean;
  /** the proactive invitation, sent only when it is on and applies to this page */
  invite?: Invite;
}

export interface ApiAnswer<T = any> { status: number; json: T | null }

export function createApi(base: string) {
  async function call<T>(path: string, init: RequestInit = {}): Promise<ApiAnswer<T>> {
    const r = await fetch(base + path, { credentials: 'omit', ...init });
    let json: T | null = null;
    try { json = await r.json(); } catch { /* not JSON */ }
    return { status: r.status, json };
  }
  const q = encodeURIComponent;
  return {
    base,
    directory: (url: string) => call<Directory>(`/api/v1/directory?url=${q(url)}`),
    formToken: (slug: string) => call<{ token: string }>(`/api/v1/form-token?subscriber=${q(slug)}`),
    slots: (slug: string) => call<{ slots: string[] }>(`/api/v1/slots?subscriber=${q(slug)}&days=7`),
    submit: (body: Record<string, unknown>) => call<any>('/api/v1/callbacks', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    }),
    cancel: (id: string, token: string) => call<any>(`/api/v1/callbacks/${q(id)}/cancel?token=${q(token)}`, { method: 'POST' }),
    /** A form post (a simple request: no preflight), kept alive past a page change; its answer is not read. */
    invitation: (slug: string, event: string) => void fetch(`${base}/api/v1/invitations/events`, {
      method: 'POST', credentials: 'omit', keepalive: true, body: new URLSearchParams({ subscriber: slug, event }),
    }).catch(() => {}),
    events: (id: string, token: string) => new EventSource(`${base}/api/v1/callbacks/${q(id)}/events?token=${q(token)}`),
  };
}

export type Api = ReturnType<typeof createApi>;
