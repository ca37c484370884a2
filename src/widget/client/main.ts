import type { Directory } from './api.ts';
import { startPreview, startWidget } from './widget.ts';

// The loader inserted this script with the page's data-subscriber; our own URL tells where Beckon lives
// (the bundle sits at <base>/widget/<hash>.js, so "../" is the base, proxies and path prefixes included).
const script = document.currentScript as HTMLScriptElement | null;
const w = window as unknown as { __beckonWidget?: boolean };
if (script?.src && !w.__beckonWidget) {
  w.__beckonWidget = true;
  const base = new URL('../', script.src).href.replace(/\/$/, '');
  const preview = previewDirectory(base);
  if (preview) startPreview(base, preview);
  else void startWidget({ base, slug: script.getAttribute('data-subscriber') ?? '' });
}

/** The portal's preview page (on Beckon's own origin only) hands the skin being edited over in a JSON block. */
function previewDirectory(base: string): Directory | null {
  const el = document.getElementById('beckon-preview');
  if (!el || new URL(base).origin !== location.origin) return null;
  try { return JSON.parse(el.textContent ?? '') as Directory; } catch { return null; }
}
