import type { Page } from 'playwright-core';

/** Starts recording each progress line the widget in `page` shows the visitor (its status text, once per change). */
export async function recordWidgetStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const el = document.querySelector('beckon-widget')!.shadowRoot!.querySelector('.status')!;
    const seen: string[] = ((window as any).__seen = []);
    new MutationObserver(() => { if (seen[seen.length - 1] !== el.textContent) seen.push(el.textContent!); }).observe(el, { childList: true, characterData: true, subtree: true });
  });
}

/** The progress lines recorded since recordWidgetStatus, in order. */
export function widgetStatusSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as any).__seen);
}
