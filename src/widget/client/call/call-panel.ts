import { adoptStyles, h } from '../dom.ts';
import { visitorId } from '../visitor-id.ts';
import { callTranslator } from './call-i18n.ts';
import { callStep, controls, INITIAL, statusKey, timerText, type CallEvent, type CallState, type CallStatus } from './call-state.ts';
import { CALL_CSS } from './call-styles.ts';
import { placeSipCall, type SipCall } from './sip-call.ts';

/**
 * The call chunk's entry: built apart from the widget (widget-bundle.ts) and fetched only when a visitor presses
 * "Call now", since it carries JsSIP. The widget and the hosted form both draw their call through `runCall`.
 */
export { visitorId };

export interface CallOptions {
  /** Where the panel draws itself: inside the widget's dialog, or the hosted form's call section. */
  el: HTMLElement;
  /** Beckon's address (origin and any path prefix): POST /api/v1/webcalls and the status stream live under it. */
  base: string;
  lang: string;
  /** The business's display name, for the visitor's words. */
  name: string;
  /** The body of POST /api/v1/webcalls: subscriber, department, visitorId, formToken, pageUrl, name, message. */
  request: Record<string, unknown>;
  /** The visitor left the ended call (Back): the caller shows its form again. */
  onDone: () => void;
}

export interface CallHandle { hangup(): void }

/** What POST /api/v1/webcalls answers with 201. */
interface Offer { requestId: string; ticket: string; wsUrl: string; sipUri: string; iceServers?: RTCIceServer[]; statusToken?: string }


/** How long a BYE before the bridge waits for the request's outcome on the status stream before ending without it. */
const OUTCOME_WAIT_MS = 2000;


/**
 * One web call, from the ticket to the end: asks Beckon for a ticket, then the browser for the microphone (only
 * now, after the press), then calls Asterisk with JsSIP. The status line speaks each change once (aria-live);
 * the timer is a role=timer of its own so screen readers do not read every second.
 */
export function runCall(o: CallOptions): CallHandle {
  const t = callTranslator(o.lang);
  const vars = { name: o.name };
  adoptStyles(o.el, CALL_CSS);
  const status = h('p', { class: 'bkc-status', role: 'status', 'aria-live': 'polite', tabindex: -1 });
  const clock = h('p', { class: 'bkc-timer', role: 'timer', 'aria-label': t('talkTime'), hidden: true }, '0:00');
  const mute = h('button', { class: 'bkc-mute', type: 'button', 'aria-pressed': 'false', hidden: true }, t('mute'));
  const hang = h('button', { class: 'bkc-hang', type: 'button' }, t('hangup'));
  const back = h('button', { class: 'bkc-back', type: 'button', hidden: true }, t('back'));
  const audio = h('audio', { autoplay: true });
  const box = h('div', { class: 'bkc' }, status, clock, h('div', { class: 'bkc-row' }, mute, hang), back, audio);
  o.el.replaceChildren(box);

  let s: CallState = INITIAL;
  let sip: SipCall | null = null;
  let events: EventSource | null = null;
  let ticking: ReturnType<typeof setInterval> | undefined;

  const tick = () => { if (s.connectedAt !== null) clock.textContent = timerText(Date.now() - s.connectedAt); };

  function draw(before: CallState | null): void {
    const key = statusKey(s);
    if (!before || key !== statusKey(before)) status.textContent = t(key, vars);
    box.dataset.phase = s.phase;
    if (s.reason) box.dataset.reason = s.reason;
    const c = controls(s);
    const focusWasHere = box.contains((o.el.getRootNode() as Document | ShadowRoot).activeElement);
    hang.hidden = !c.hangup;
    mute.hidden = !c.mute;
    back.hidden = !c.back;
    mute.setAttribute('aria-pressed', String(s.muted));
    clock.hidden = s.connectedAt === null;
    if (s.connectedAt !== null && ticking === undefined && s.phase === 'connected') { tick(); ticking = setInterval(tick, 1000); }
    if (s.phase === 'ended') {
      clearInterval(ticking);
      events?.close();
      events = null;
      // The hang-up button just vanished: keep keyboard users on a control rather than on nothing.
      if (focusWasHere || !before) back.focus();
    }
  }

  const over = () => s.phase === 'ended';

  function dispatch(e: CallEvent): void {
    const before = s;
    s = callStep(s, e);
    if (s === before) return;
    draw(before);
    // Why the business's side hung up comes on the status stream just after its BYE; wait for it a moment only.
    if (s.awaitingOutcome && !before.awaitingOutcome) setTimeout(() => dispatch({ type: 'settle' }), OUTCOME_WAIT_MS);
  }

  /** The request's status stream tells when the business's side is bridged, and why it failed if it did. */
  function follow(offer: Offer): boolean {
    if (!offer.statusToken || typeof EventSource !== 'function') return false;
    const q = encodeURIComponent;
    events = new EventSource(`${o.base}/api/v1/callbacks/${q(offer.requestId)}/events?token=${q(offer.statusToken)}`);
    const onEvent = (m: MessageEvent) => {
      try { dispatch({ type: 'status', at: Date.now(), status: JSON.parse(m.data) as CallStatus }); } catch { /* a torn event */ }
    };
    events.addEventListener('status', onEvent as EventListener);
    events.addEventListener('attempt', onEvent as EventListener);
    events.addEventListener('error', () => { if (events?.readyState === EventSource.CLOSED) dispatch({ type: 'unfollowed', at: Date.now() }); });
    return true;
  }

  async function start(): Promise<void> {
    let offer: Offer;
    try {
      const r = await fetch(`${o.base}/api/v1/webcalls`, {
        method: 'POST', credentials: 'omit', headers: { 'content-type': 'application/json' }, body: JSON.stringify(o.request),
      });
      const json = await r.json().catch(() => null) as (Offer & { error?: { code?: string; message?: string } }) | null;
      if (r.status !== 201 || !json?.ticket) {
        if (json?.error) console.warn(`[beckon] web call refused: ${json.error.code ?? r.status}: ${json.error.message ?? ''}`);
        dispatch({ type: 'refused', status: r.status, code: json?.error?.code });
        return;
      }
      offer = json;
    } catch {
      dispatch({ type: 'network' });
      return;
    }
    if (over()) return; // hung up while asking
    dispatch({ type: 'ticket', following: follow(offer) });
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch (err) {
      dispatch({ type: 'micError', name: (err as { name?: string } | null)?.name ?? 'NotAllowedError' });
      return;
    }
    if (over()) { stream.getTracks().forEach((x) => x.stop()); return; }
    dispatch({ type: 'microphone' });
    sip = placeSipCall({
      wsUrl: offer.wsUrl, sipUri: offer.sipUri, ticket: offer.ticket, iceServers: offer.iceServers ?? [], stream, audio, on: dispatch,
    });
  }

  function hangup(): void {
    if (sip && !s.awaitingOutcome) sip.hangup(); else dispatch({ type: 'hangup' });
  }

  hang.addEventListener('click', hangup);
  // Leaving the page ends the call with a BYE (or CANCEL) at once, rather than when Asterisk notices the socket gone.
  addEventListener('pagehide', () => { if (!over()) hangup(); });
  mute.addEventListener('click', () => {
    dispatch({ type: 'mute', muted: !s.muted });
    sip?.mute(s.muted);
  });
  back.addEventListener('click', () => { o.el.replaceChildren(); o.onDone(); });
  draw(null);
  hang.focus();
  void start();
  return { hangup };
}
