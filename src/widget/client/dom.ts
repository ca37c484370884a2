/** A tiny element builder: text always goes through textContent, so no subscriber or server text is parsed as HTML. */
type Attrs = Record<string, string | boolean | number | undefined | null | EventListener>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

const FOCUSABLE = 'button,input,select,textarea,a[href]';

/** Visible, enabled controls in tab order (the honeypot is excluded by its tabindex=-1). */
export function focusables(root: Element): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) =>
    !(el as HTMLButtonElement).disabled && el.tabIndex >= 0 && el.getClientRects().length > 0);
}

const adopted = new WeakMap<Node, Set<string>>();

/**
 * Adds `css` to the document or shadow root that holds `el`, once per root: as a constructed style sheet, or where
 * the browser cannot construct one, as a <style> element before `el`.
 */
export function adoptStyles(el: HTMLElement, css: string): void {
  const root = el.getRootNode() as Document | ShadowRoot;
  const done = adopted.get(root) ?? new Set<string>();
  if (done.has(css)) return;
  done.add(css);
  adopted.set(root, done);
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    el.before(h('style', {}, css));
  }
}
