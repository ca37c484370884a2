import { h } from '../dom.ts';
import { INVITE_CSS } from './invite-styles.ts';
import { fires, inviteGate, isExitIntent, scrolledShare, type Cue, type Invite } from './triggers.ts';

/**
 * The invitation chunk's entry: built apart from the widget (widget-bundle.ts) and fetched only when the directory
 * sends an invitation for the page, so the widget's first load stays small.
 */

export type InviteEvent = 'shown' | 'opened' | 'converted';

export interface InvitationOptions {
  invite: Invite;
  slug: string;
  /** the widget's frame in its shadow root, and its floating button */
  frame: HTMLElement;
  fab: HTMLElement;
  /** the open button's label (the widget button's text) and the close button's */
  label: string;
  closeLabel: string;
  /** opens the widget's panel */
  open(): void;
  /** true while the panel is open or a request is followed: no invitation then */
  busy(): boolean;
  send(e: InviteEvent): void;
}

function adoptStyles(el: HTMLElement): void {
  const root = el.getRootNode() as Document | ShadowRoot;
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(INVITE_CSS);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    el.append(h('style', {}, INVITE_CSS));
  }
}

const PHONE = '(max-width: 480px)';

const store = (get: () => Storage): Storage | null => { try { return get(); } catch { return null; } };

/**
 * Watches the page for the invitation's triggers and shows it once: a bubble above the button, or on a phone a
 * compact bar along the bottom edge with a spacer of its height at the end of the page, so that nothing of the
 * page stays under it. The text is announced politely; Esc and the close button dismiss it for good.
 */
export function runInvitation(o: InvitationOptions): void {
  adoptStyles(o.frame);
  const gate = inviteGate(o.slug, store(() => sessionStorage), store(() => localStorage));
  const said = h('p', { class: 'sr', role: 'status' });
  const go = h('button', { class: 'go', type: 'button' }, o.label);
  const x = h('button', { class: 'ix', type: 'button', 'aria-label': o.closeLabel }, '×');
  const box = h('div', { class: 'inv', hidden: true }, h('p', {}, o.invite.text), go, x);
  o.frame.append(said, box);
  let spacer: HTMLElement | null = null;
  let done = !gate.allowed();

  const hide = () => {
    box.hidden = true;
    o.frame.classList.remove('inviting');
    spacer?.remove();
    spacer = null;
    said.textContent = '';
    removeEventListener('keydown', onKey, true);
  };
  const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape' && !box.hidden) { e.preventDefault(); dismiss(); } };
  const dismiss = () => { gate.closed(); hide(); o.fab.focus(); };

  const show = () => {
    if (done || o.busy()) return;
    done = true;
    stop();
    gate.shown();
    box.hidden = false;
    o.frame.classList.add('inviting');
    if (matchMedia(PHONE).matches) {
      spacer = document.createElement('div');
      spacer.setAttribute('aria-hidden', 'true');
      spacer.style.setProperty('height', `${box.offsetHeight}px`);
      (document.body ?? document.documentElement).append(spacer);
    }
    said.textContent = o.invite.text;
    addEventListener('keydown', onKey, true);
    o.send('shown');
  };
  const cue = (c: Cue) => { if (fires(o.invite, c)) show(); };

  const onScroll = () => cue({ scrolled: scrolledShare(scrollY, innerHeight, document.documentElement.scrollHeight) });
  const onOut = (e: MouseEvent) => { if (isExitIntent(e, matchMedia('(pointer: fine)').matches && !matchMedia(PHONE).matches)) cue({ exit: true }); };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => { clearTimeout(timer); removeEventListener('scroll', onScroll); document.removeEventListener('mouseout', onOut); };
  if (!done) {
    if (o.invite.after !== undefined) {
      const at = o.invite.after * 1000;
      timer = setTimeout(() => cue({ time: Math.max(at, performance.now()) }), Math.max(0, at - performance.now()));
    }
    if (o.invite.scroll !== undefined) addEventListener('scroll', onScroll, { passive: true });
    if (o.invite.exit) document.addEventListener('mouseout', onOut);
  }

  go.addEventListener('click', () => { gate.opened(); hide(); o.send('opened'); o.open(); });
  x.addEventListener('click', dismiss);
  // A visitor who opens the widget by themselves needs no invitation on this page any more.
  o.fab.addEventListener('click', () => { done = true; stop(); hide(); });
}
