import { createApi, type Api, type Directory } from './api.ts';
import { palette } from './contrast.ts';
import { focusables, h } from './dom.ts';
import { pickLanguage, translator, type MessageKey, type Translate } from './i18n.ts';
import { COUNTRIES, checkPhone, defaultCountry } from './phone-lite.ts';
import { describe, groupSlots, type Progress, type StatusEvent } from './progress.ts';
import { inviteGate } from './invite/triggers.ts';
import { CSS } from './styles.ts';
import { visitorId } from './visitor-id.ts';

const PHONE_ICON = 'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2c.3-.3.7-.4 1-.2 1.1.4 2.3.6 3.6.6.6 0 1 .4 1 1V20c0 .6-.4 1-1 1A17 17 0 0 1 3 4c0-.6.4-1 1-1h3.5c.6 0 1 .4 1 1 0 1.3.2 2.5.6 3.6.1.3 0 .7-.2 1z';
const STEPS = ['queued', 'calling', 'connecting', 'connected'] as const;
const RESUME_KEY = 'beckon:request';

/** The call chunk's file name (widget-bundle.ts defines it at build time, content-hashed like this bundle). */
declare const __BECKON_CALL_CHUNK__: string;
type CallChunk = typeof import('./call/call-panel.ts');
/** The invitation chunk's file name, likewise: loaded only when the directory sends an invitation for the page. */
declare const __BECKON_INVITE_CHUNK__: string;
type InviteChunk = typeof import('./invite/invite-panel.ts');
/** The chat chunk's file name, likewise: loaded only when a visitor presses "Message us". */
declare const __BECKON_CHAT_CHUNK__: string;
type ChatChunk = typeof import('./chat/chat-panel.ts');

/** A browser that can place a web call: WebRTC, and a microphone API (only in secure contexts). */
const canCallFromBrowser = (): boolean =>
  typeof RTCPeerConnection === 'function' && typeof navigator.mediaDevices?.getUserMedia === 'function';

export interface WidgetOptions { base: string; slug: string }

/** Loads the page owner's directory and mounts the widget; stays hidden (one warning) when nobody owns the page. */
export async function startWidget(o: WidgetOptions): Promise<void> {
  const api = createApi(o.base);
  let dir: Directory | null = null;
  try {
    const r = await api.directory(location.href);
    if (r.status === 200 && r.json) dir = r.json;
    else console.warn(`[beckon] no call-back service is registered for ${location.host}; the widget stays hidden.`);
  } catch {
    // Beckon answers CORS only to registered sites, so an unregistered page sees its 404 as a network error.
    console.warn(`[beckon] no call-back service is registered for ${location.host} (or it is unreachable); the widget stays hidden.`);
  }
  // A service whose phone is not verified yet would refuse every request: better not to offer one.
  if (dir && dir.ready === false) { console.warn('[beckon] this call-back service is not set up yet; the widget stays hidden.'); return; }
  // The directory answers for the page's owner, which wins over data-subscriber (a second enterprise's page).
  if (dir) mount(dir, api);
}

/**
 * The portal's live preview: this same widget, mounted from a directory the portal page hands over (the skin
 * being edited), open with its button still shown, and sending nothing — no form token, no request, no resume.
 */
export function startPreview(base: string, dir: Directory): void {
  mount(dir, createApi(base), true);
}

function mount(dir: Directory, api: Api, preview = false): void {
  const skin = dir.skin ?? {};
  const lang = pickLanguage([skin.language, document.documentElement.lang, navigator.language]);
  const t: Translate = (k, v) => translator(lang)(k, { name: dir.subscriber.name, ...v });
  const colours = palette(skin.primaryColor, skin.textColor);
  const slug = dir.subscriber.slug;
  const timeFmt = new Intl.DateTimeFormat(lang, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  const dayFmt = new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long' });
  const hourFmt = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
  const formatWhen = (iso: string) => timeFmt.format(new Date(iso));

  // Open shadow root: closing it protects nothing from scripts of the same page, and open lets testing and
  // accessibility tools see in. Styles go through the CSSOM (constructed sheet, style.setProperty), which a
  // host page's strict Content-Security-Policy (no 'unsafe-inline' styles) does not block.
  const host = h('beckon-widget' as 'div', { 'data-subscriber': slug });
  host.style.setProperty('all', 'initial');
  const root = host.attachShadow({ mode: 'open' });
  const frame = h('div', { class: 'bk' + (skin.position === 'bottom-left' ? ' left' : '') + (preview ? ' pv' : ''), lang });
  for (const [k, v] of [['--p', colours.primary], ['--op', colours.onPrimary], ['--a', colours.accent]]) frame.style.setProperty(k!, v!);
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch {
    root.append(h('style', {}, CSS));
  }
  root.append(frame);

  const fab = h('button', { class: 'fab', type: 'button', 'aria-haspopup': 'dialog', 'aria-expanded': 'false' });
  // Built node by node, not innerHTML: pages enforcing Trusted Types refuse HTML strings.
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  path.setAttribute('d', PHONE_ICON);
  svg.append(path);
  fab.append(svg);
  const fabText = (skin.buttonText || '').trim() || t('button');
  fab.append(h('span', {}, fabText));

  // --- the form -----------------------------------------------------------------------------------------------
  const err = (id: string) => h('p', { class: 'err', id, role: 'alert' });
  const deptSelect = dir.departments.length > 1
    ? h('select', { id: 'dept', name: 'department' }, ...dir.departments.map((d) => h('option', { value: d.id }, d.name)))
    : null;
  const regionName = safeDisplayNames(lang);
  const country = h('select', { id: 'country', name: 'country', 'aria-label': t('country') },
    ...[...COUNTRIES].map(([iso, cc]) => [iso, cc, regionName(iso)] as const)
      .sort((a, b) => a[2].localeCompare(b[2], lang))
      .map(([iso, cc, label]) => h('option', { value: iso }, `${label} +${cc}`)));
  country.value = defaultCountry(dir.subscriber.country, navigator.languages ?? [navigator.language]);
  const phone = h('input', { id: 'phone', name: 'phone', type: 'tel', autocomplete: 'tel', required: true, 'aria-describedby': 'phone-err', inputmode: 'tel' });
  const phoneErr = err('phone-err');
  const name = h('input', { id: 'name', name: 'name', autocomplete: 'name', maxlength: 100 });
  const message = h('textarea', { id: 'message', name: 'message', maxlength: 1000 });
  const honeypot = h('input', { id: 'website', name: 'website', tabindex: -1, autocomplete: 'off' });
  const consent = h('input', { id: 'consent', name: 'consent', type: 'checkbox', required: true, 'aria-describedby': 'consent-err' });
  const consentErr = err('consent-err');
  const timeSelect = h('select', { id: 'slot', name: 'slot', 'aria-describedby': 'slot-err' });
  const timeErr = err('slot-err');
  const timeBox = h('div', { hidden: true }, h('label', { for: 'slot' }, t('time')), timeSelect, timeErr);
  const closedNote = h('p', { class: 'muted', hidden: dir.open }, t('closedNow'));
  const waitNote = h('p', { class: 'muted', hidden: !dir.open || !dir.waitEstimateMin }, t('usualWait', { minutes: dir.waitEstimateMin ?? '' }));
  const submit = h('button', { class: 'primary', type: 'submit' });
  const toggle = h('button', { class: 'link', type: 'button', hidden: !dir.open }, t('chooseTime'));
  const formErr = err('form-err');
  // "Call now" from the browser: offered only while the directory says so (web calls on, open, able to take a
  // call) and this browser can; the call itself lives in a chunk loaded on press.
  const callNow = h('button', { class: 'primary web', type: 'button' }, t('webCall'));
  const webBox = h('div', { hidden: !(dir.webcall && dir.open && canCallFromBrowser()) }, callNow, h('hr'));
  const callView = h('div', { class: 'call', hidden: true });
  // "Message us": a conversation with the service center, drawn by a chunk loaded on press.
  const messageUs = h('button', { class: 'link chat', type: 'button' }, t('messageUs'));
  const chatView = h('div', { class: 'chat', hidden: true });
  const form = h('form', { novalidate: true },
    h('p', { class: 'muted' }, t('intro')),
    deptSelect && h('label', { for: 'dept' }, t('department')), deptSelect,
    h('label', { for: 'phone' }, t('phone')),
    h('div', { class: 'row' }, country, phone), phoneErr,
    h('label', { for: 'name' }, t('name')), name,
    h('label', { for: 'message' }, t('message')), message,
    h('div', { class: 'hp', 'aria-hidden': 'true' }, h('label', { for: 'website' }, 'Website'), honeypot),
    h('label', { class: 'check', for: 'consent' }, consent, h('span', {}, t('consent'))), consentErr,
    closedNote, waitNote, timeBox, submit, toggle, formErr);

  // --- progress -----------------------------------------------------------------------------------------------
  const steps = h('ol', { class: 'steps', 'aria-hidden': 'true' }, ...STEPS.map(() => h('li')));
  const statusLine = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const cancel = h('button', { class: 'link', type: 'button', hidden: true }, t('cancel'));
  const again = h('button', { class: 'link', type: 'button', hidden: true }, t('again'));
  const progressBox = h('div', { class: 'progress', hidden: true }, steps, statusLine, cancel, again);

  const closeBtn = h('button', { class: 'x', type: 'button', 'aria-label': t('close') }, '×');
  const logo = skin.logoUrl && /^https?:\/\//i.test(skin.logoUrl) ? h('img', { src: skin.logoUrl, alt: '' }) : null;
  const title = h('h2', { id: 'bk-title' }, t('title'));
  const panel = h('div', { class: 'panel', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'bk-title', hidden: true },
    h('header', {}, logo, title, closeBtn), webBox, messageUs, callView, chatView, form, progressBox);
  frame.append(fab, panel);
  (document.body ?? document.documentElement).append(host);

  // --- behaviour ----------------------------------------------------------------------------------------------
  let scheduling = !dir.open;
  let slotsLoaded = false;
  let formToken: Promise<string | null> | null = null;
  let events: EventSource | null = null;
  let current: { id: string; token: string } | null = null;
  let shown: Progress | null = null;
  // A call-back or web call after an opened invitation (this visit, any page) counts once as converted.
  const inviteConverted = () => {
    let session: Storage | null = null;
    try { session = sessionStorage; } catch { /* storage blocked */ }
    if (inviteGate(slug, session, null).takeConversion()) api.invitation(slug, 'converted');
  };

  function setMode(schedule: boolean): void {
    scheduling = schedule;
    timeBox.hidden = !schedule;
    submit.textContent = schedule ? t('schedule') : t('callNow');
    toggle.hidden = schedule || !dir.open;
    waitNote.hidden = schedule || !dir.open || !dir.waitEstimateMin;
    if (schedule && !slotsLoaded) void loadSlots();
  }

  async function loadSlots(): Promise<void> {
    slotsLoaded = true;
    const r = await api.slots(slug).catch(() => null);
    const slots = r?.status === 200 && Array.isArray(r.json?.slots) ? r.json!.slots : [];
    timeSelect.replaceChildren();
    if (!slots.length) { timeSelect.append(h('option', { value: '' }, t('noSlots'))); return; }
    for (const g of groupSlots(slots, (iso) => dayFmt.format(new Date(iso)))) {
      timeSelect.append(h('optgroup', { label: g.day }, ...g.slots.map((iso) => h('option', { value: iso }, `${g.day}, ${hourFmt.format(new Date(iso))}`))));
    }
  }

  function open(): void {
    panel.hidden = false;
    fab.setAttribute('aria-expanded', 'true');
    if (preview) return;
    fab.hidden = true;
    formToken ??= api.formToken(slug).then((r) => (r.status === 200 && r.json?.token) || null).catch(() => null);
    // The first field of the form (Call now sits just before it), the live call's controls, or the progress.
    (current ? focusables(panel)[0] : callView.hidden ? focusables(form)[0] : focusables(callView)[0])?.focus();
  }

  function close(): void {
    panel.hidden = true;
    fab.hidden = false;
    fab.setAttribute('aria-expanded', 'false');
    fab.focus();
  }

  function phoneMessage(code: string, fallback?: string): string {
    return code in { phone_required: 1, phone_too_short: 1, phone_too_long: 1, phone_invalid: 1 } ? t(code as MessageKey) : fallback ?? t('phone_invalid');
  }

  function checkPhoneNow(final: boolean): ReturnType<typeof checkPhone> {
    const v = checkPhone(phone.value, country.value);
    // While typing, only speak up once the number is long enough to judge; on submit, always.
    const show = !v.ok && (final || (v.code !== 'phone_required' && v.code !== 'phone_too_short'));
    phoneErr.textContent = show && !v.ok ? phoneMessage(v.code) : '';
    phone.setAttribute('aria-invalid', show ? 'true' : 'false');
    return v;
  }

  async function onSubmit(ev: Event): Promise<void> {
    ev.preventDefault();
    if (preview) { formErr.textContent = 'Preview: nothing is sent.'; return; }
    formErr.textContent = '';
    const p = checkPhoneNow(true);
    consentErr.textContent = consent.checked ? '' : t('consent_required');
    timeErr.textContent = scheduling && !timeSelect.value ? t('time_required') : '';
    if (!p.ok) return phone.focus();
    if (!consent.checked) return consent.focus();
    if (scheduling && !timeSelect.value) return timeSelect.focus();
    submit.disabled = true;
    submit.textContent = t('sending');
    const body: Record<string, unknown> = {
      subscriber: slug, phone: p.e164, name: name.value.trim() || undefined, message: message.value.trim() || undefined,
      department: deptSelect?.value || dir.departments[0]?.id || undefined, consent: true,
      scheduledAt: scheduling ? timeSelect.value : undefined,
      pageUrl: location.href, referrer: document.referrer || undefined, source: 'widget',
      website: honeypot.value, formToken: (await formToken) ?? undefined, visitorId: visitorId(),
    };
    try {
      const r = await api.submit(body);
      if (r.status === 202 && r.json?.id) {
        inviteConverted();
        follow(r.json.id, r.json.statusToken);
        return;
      }
      // An open request for this number already exists; its id and status are never given to another browser.
      if (r.status === 200 && r.json?.duplicate) {
        formErr.textContent = t('already_waiting');
        return;
      }
      const e = r.json?.error;
      const fields: { field: string; code: string; message: string }[] = e?.fields ?? [];
      const phoneField = fields.find((f) => f.field === 'phone');
      if (phoneField) { phoneErr.textContent = phoneMessage(phoneField.code, phoneField.message); phone.focus(); }
      const other = fields.filter((f) => f.field !== 'phone').map((f) => f.message);
      formErr.textContent = [...other, !fields.length && e?.message].filter(Boolean).join(' ') || (phoneField ? '' : t('network'));
      formToken = null; // tokens may be single-use: fetch a fresh one for the next try
      formToken = api.formToken(slug).then((x) => (x.status === 200 && x.json?.token) || null).catch(() => null);
    } catch {
      formErr.textContent = t('network');
    } finally {
      submit.disabled = false;
      submit.textContent = scheduling ? t('schedule') : t('callNow');
    }
  }

  function follow(id: string, token: string): void {
    current = { id, token };
    try { sessionStorage.setItem(RESUME_KEY, JSON.stringify({ slug, id, token })); } catch { /* storage may be off */ }
    form.hidden = true;
    progressBox.hidden = false;
    shown = null;
    render({ status: 'queued' });
    events?.close();
    events = api.events(id, token);
    const onEvent = (e: MessageEvent) => { try { render(JSON.parse(e.data)); } catch { /* ignore a torn event */ } };
    events.addEventListener('status', onEvent as EventListener);
    events.addEventListener('attempt', onEvent as EventListener);
    statusLine.focus();
  }

  let attemptsSeen = 0;
  function render(e: StatusEvent): void {
    const p = describe(e, dir.subscriber.name, formatWhen);
    const n = e.attempts?.length ?? 0;
    // A late plain "dialing" must not step back from "connecting"/"connected" within the same attempt.
    if (shown && !p.final && n === attemptsSeen && STEPS.indexOf(p.step as never) < STEPS.indexOf(shown.step as never) && p.step === 'calling') return;
    attemptsSeen = n;
    shown = p;
    statusLine.textContent = t(p.key, p.vars);
    const at = p.step === 'ended' ? (e.status === 'completed' ? STEPS.length : -1) : STEPS.indexOf(p.step as never);
    Array.from(steps.children).forEach((li, i) => li.classList.toggle('on', i <= at));
    cancel.hidden = !p.cancellable;
    again.hidden = !p.final;
    if (p.final) {
      events?.close();
      events = null;
      try { sessionStorage.removeItem(RESUME_KEY); } catch { /* ignore */ }
    }
  }

  async function onCancel(): Promise<void> {
    if (!current) return;
    cancel.disabled = true;
    const r = await api.cancel(current.id, current.token).catch(() => null);
    cancel.disabled = false;
    if (r && r.status < 300 && r.json?.status) render(r.json);
    else if (!r || r.status >= 300) statusLine.textContent = r?.json?.error?.message ?? t('network');
  }

  async function startCall(): Promise<void> {
    if (preview) { formErr.textContent = 'Preview: nothing is sent.'; return; }
    formErr.textContent = '';
    callNow.disabled = true;
    const token = await formToken;
    let chunk: CallChunk;
    try {
      chunk = await (import(`${api.base}/widget/${__BECKON_CALL_CHUNK__}`) as Promise<CallChunk>);
    } catch {
      formErr.textContent = t('network');
      return;
    } finally {
      callNow.disabled = false;
    }
    formToken = api.formToken(slug).then((x) => (x.status === 200 && x.json?.token) || null).catch(() => null);
    form.hidden = true;
    webBox.hidden = true;
    messageUs.hidden = true;
    callView.hidden = false;
    title.textContent = t('webTitle');
    inviteConverted();
    chunk.runCall({
      el: callView, base: api.base, lang, name: dir.subscriber.name,
      request: {
        subscriber: slug, department: deptSelect?.value || dir.departments[0]?.id || undefined, visitorId: visitorId(),
        name: name.value.trim() || undefined, message: message.value.trim() || undefined, pageUrl: location.href,
        website: honeypot.value, formToken: token ?? undefined, source: 'widget',
      },
      onDone: () => { callView.hidden = true; form.hidden = false; webBox.hidden = false; messageUs.hidden = false; title.textContent = t('title'); callNow.focus(); },
    });
  }

  async function startChat(): Promise<void> {
    if (preview) { formErr.textContent = 'Preview: nothing is sent.'; return; }
    formErr.textContent = '';
    messageUs.disabled = true;
    let chunk: ChatChunk;
    try {
      chunk = await (import(`${api.base}/widget/${__BECKON_CHAT_CHUNK__}`) as Promise<ChatChunk>);
    } catch {
      formErr.textContent = t('network');
      return;
    } finally {
      messageUs.disabled = false;
    }
    const shownBefore = [form, webBox, progressBox].map((el) => el.hidden);
    form.hidden = webBox.hidden = progressBox.hidden = messageUs.hidden = true;
    chatView.hidden = false;
    title.textContent = t('messageUs');
    chunk.runChat({
      el: chatView, base: api.base, lang, slug, department: deptSelect?.value || dir.departments[0]?.id || undefined,
      name: name.value.trim() || undefined,
      // A fresh token: the call-back form's may have been spent.
      formToken: () => api.formToken(slug).then((x) => (x.status === 200 && x.json?.token) || null).catch(() => null),
      request: () => current, website: () => honeypot.value,
      canCall: !!dir.webcall && canCallFromBrowser(),
      onCallNow: () => { chatView.hidden = true; void startCall(); },
      onDone: () => {
        chatView.hidden = true;
        [form.hidden, webBox.hidden, progressBox.hidden] = shownBefore as [boolean, boolean, boolean];
        messageUs.hidden = false;
        title.textContent = t('title');
        messageUs.focus();
      },
    });
  }

  function reset(): void {
    current = null;
    progressBox.hidden = true;
    form.hidden = false;
    phone.focus();
  }

  fab.addEventListener('click', open);
  closeBtn.addEventListener('click', close);
  toggle.addEventListener('click', () => { setMode(true); timeSelect.focus(); });
  callNow.addEventListener('click', () => void startCall());
  messageUs.addEventListener('click', () => void startChat());
  cancel.addEventListener('click', () => void onCancel());
  again.addEventListener('click', reset);
  form.addEventListener('submit', (e) => void onSubmit(e));
  phone.addEventListener('input', () => checkPhoneNow(false));
  phone.addEventListener('blur', () => { if (phone.value) checkPhoneNow(true); });
  country.addEventListener('change', () => { if (phone.value) checkPhoneNow(false); });
  panel.addEventListener('keydown', (e) => trapKeys(e, panel, root, close));
  setMode(scheduling);
  statusLine.tabIndex = -1;

  if (preview) { open(); return; }
  // A visitor who moves to another page of the site keeps watching the request made on the previous one.
  try {
    const saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) ?? 'null');
    if (saved?.slug === slug && saved.id && saved.token) { follow(saved.id, saved.token); }
  } catch { /* nothing to resume */ }
  const invite = dir.invite;
  if (invite) {
    (import(`${api.base}/widget/${__BECKON_INVITE_CHUNK__}`) as Promise<InviteChunk>).then((chunk) => chunk.runInvitation({
      invite, slug, frame, fab, label: fabText, closeLabel: t('close'), open,
      busy: () => !panel.hidden || !!current, send: (e) => api.invitation(slug, e),
    })).catch(() => { /* no invitation, the widget works on */ });
  }
}

function trapKeys(e: KeyboardEvent, panel: HTMLElement, root: ShadowRoot, close: () => void): void {
  if (e.key === 'Escape') { e.preventDefault(); close(); return; }
  if (e.key !== 'Tab') return;
  const list = focusables(panel);
  if (!list.length) return;
  const first = list[0]!;
  const last = list[list.length - 1]!;
  const active = root.activeElement;
  if (e.shiftKey && (active === first || !panel.contains(active))) { e.preventDefault(); last.focus(); }
  else if (!e.shiftKey && (active === last || !panel.contains(active))) { e.preventDefault(); first.focus(); }
}

function safeDisplayNames(lang: string): (iso: string) => string {
  try {
    const names = new Intl.DisplayNames([lang], { type: 'region' });
    return (iso) => names.of(iso) ?? iso;
  } catch {
    return (iso) => iso;
  }
}
