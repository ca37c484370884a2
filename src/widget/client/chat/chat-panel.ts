import { adoptStyles, h } from '../dom.ts';
import { addMessage, authorLabel, EMPTY, insertAt, readKept, startBody, type ChatMessage, type ChatView, type Kept } from './chat-state.ts';
import { chatTranslator } from './chat-i18n.ts';
import { CHAT_CSS } from './chat-styles.ts';

/**
 * The chat chunk's entry: built apart from the widget (widget-bundle.ts) and fetched only when a visitor presses
 * "Message us". It talks to the same visitor endpoints as the hosted chat page (public/chat.js), under /api/v1
 * where the public API's CORS lets a registered site's page use them. The hosted page keeps its own small script:
 * it is served before any widget bundle exists and needs no build, and shares no code that this chunk could give.
 */
export interface ChatOptions {
  el: HTMLElement;
  /** Beckon's address (origin and any path prefix). */
  base: string;
  /** The widget's language (i18n.ts LANGUAGES). */
  lang: string;
  slug: string;
  /** The department chosen in the widget's form (or its only one). */
  department?: string;
  /** The name typed in the widget's form, if any. */
  name?: string;
  /** A form token for starting (fetched by the widget when its panel opened). */
  formToken: () => Promise<string | null | undefined>;
  /** The call-back this visit asked for from the widget, if any: the conversation is linked to it. */
  request: () => { id: string; token: string } | null;
  /** The honeypot's value (empty for people). */
  website: () => string;
  /** The team may invite to a web call: this browser can, and the directory says web calls are on. */
  canCall: boolean;
  /** "Call now" pressed after the team's invitation: the widget starts its usual web call. */
  onCallNow: () => void;
  /** Back pressed: the widget shows its form again (the conversation goes on and resumes on the next press). */
  onDone: () => void;
}

const KEEP = 'beckon:chat';
const q = encodeURIComponent;


/** Draws the conversation in `o.el`: the start form, or the live messages with a reply box. Text only. */
export function runChat(o: ChatOptions): { stop(): void } {
  adoptStyles(o.el, CHAT_CSS);
  const t = chatTranslator(o.lang);
  const log = h('ol', { class: 'bkm-log', role: 'log', 'aria-live': 'polite', 'aria-label': t('messages'), tabindex: 0 });
  const err = h('p', { class: 'bkm-err', role: 'alert' });
  const box = h('textarea', { id: 'bkm-text', maxlength: 2000, 'aria-label': t('yourMessage'), required: true });
  const send = h('button', { class: 'bkm-send', type: 'submit' }, t('send'));
  const end = h('button', { class: 'bkm-end', type: 'button', hidden: true }, t('end'));
  const back = h('button', { class: 'bkm-back', type: 'button' }, t('back'));
  const callNow = h('button', { class: 'bkm-call', type: 'button', hidden: true }, t('callNow'));
  const form = h('form', { class: 'bkm-form', novalidate: true },
    h('label', { for: 'bkm-text' }, t('yourMessage')), box, h('div', { class: 'bkm-row' }, send, end, back));
  const ended = h('p', { class: 'bkm-ended', role: 'status', hidden: true }, t('ended'));
  const root = h('div', { class: 'bkm' }, log, callNow, ended, err, form);
  o.el.replaceChildren(root);

  let view: ChatView = EMPTY;
  let conv: Kept | null = null;
  let events: EventSource | null = null;
  const drawn: number[] = [];

  const keep = (k: Kept | null) => {
    try { if (k) sessionStorage.setItem(KEEP, JSON.stringify(k)); else sessionStorage.removeItem(KEEP); } catch { /* storage off */ }
  };

  function add(m: ChatMessage): void {
    const next = addMessage(view, m);
    if (next === view) return;
    view = next;
    const li = h('li', { class: m.author === 'visitor' ? 'visitor' : m.author === 'system' ? 'system' : 'team', 'data-seq': m.seq });
    const who = authorLabel(m, t('you'), t('team'));
    if (who) li.append(h('span', { class: 'bkm-who' }, who));
    li.append(m.body);
    const at = insertAt(drawn, m.seq);
    log.insertBefore(li, log.children[at] ?? null);
    drawn.splice(at, 0, m.seq);
    log.scrollTop = log.scrollHeight;
    callNow.hidden = !(o.canCall && view.webcallInvited);
    if (view.closed) finish();
  }

  function finish(): void {
    form.hidden = true;
    ended.hidden = false;
    callNow.hidden = true;
    events?.close();
    events = null;
    keep(null);
    back.remove();
    root.append(h('div', { class: 'bkm-row' }, back));
  }

  async function post(path: string, body: Record<string, unknown>): Promise<any> {
    const r = await fetch(`${o.base}/api/v1/chat${path}`, {
      method: 'POST', credentials: 'omit', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(j?.error?.fields?.[0]?.message || j?.error?.message || t('failed'));
    return j;
  }

  function follow(k: Kept): void {
    conv = k;
    end.hidden = false;
    keep(k);
    if (typeof EventSource !== 'function') return;
    // The browser sends Last-Event-ID (each message's number) when it reconnects, so the stream resumes there.
    events = new EventSource(`${o.base}/api/v1/chat/${q(k.id)}/events?token=${q(k.token)}`);
    events.addEventListener('message', (e) => { try { add(JSON.parse((e as MessageEvent).data)); } catch { /* a torn event */ } });
    events.addEventListener('error', () => {
      // A closed or unknown conversation answers 404 and the browser stops; anything else reconnects by itself.
      if (events?.readyState === EventSource.CLOSED && !view.closed) { err.textContent = t('lost'); keep(null); }
    });
  }

  async function onSend(e: Event): Promise<void> {
    e.preventDefault();
    const text = box.value;
    if (!text.trim()) { err.textContent = t('empty'); box.focus(); return; }
    err.textContent = '';
    send.disabled = true;
    try {
      if (!conv) {
        const j = await post('/start', startBody({
          slug: o.slug, department: o.department, name: o.name, body: text, pageUrl: location.href,
          referrer: document.referrer, formToken: (await o.formToken()) ?? undefined, website: o.website(), request: o.request(),
        }));
        follow({ slug: o.slug, id: j.id, token: j.token });
      } else {
        const j = await post(`/${q(conv.id)}/messages`, { token: conv.token, body: text });
        if (j.message) add(j.message);
      }
      box.value = '';
    } catch (x) {
      err.textContent = (x as Error).message || t('failed');
    } finally {
      send.disabled = false;
      box.focus();
    }
  }

  form.addEventListener('submit', (e) => void onSend(e));
  // Enter sends, Shift+Enter starts a new line.
  box.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); } });
  end.addEventListener('click', () => { if (conv) post(`/${q(conv.id)}/close`, { token: conv.token }).catch((x: Error) => { err.textContent = x.message; }); });
  back.addEventListener('click', () => { stop(); o.onDone(); });
  callNow.addEventListener('click', () => o.onCallNow());

  function stop(): void { events?.close(); events = null; }

  let kept: string | null = null;
  try { kept = sessionStorage.getItem(KEEP); } catch { /* storage off */ }
  const resume = readKept(kept, o.slug);
  if (resume) follow(resume);
  box.focus();
  return { stop };
}
