import { startWidget } from './widget.ts';

// The loader inserted this script with the page's data-subscriber; our own URL tells where Beckon lives
// (the bundle sits at <base>/widget/<hash>.js, so "../" is the base, proxies and path prefixes included).
const script = document.currentScript as HTMLScriptElement | null;
const w = window as unknown as { __beckonWidget?: boolean };
if (script?.src && !w.__beckonWidget) {
  w.__beckonWidget = true;
  const base = new URL('../', script.src).href.replace(/\/$/, '');
  void startWidget({ base, slug: script.getAttribute('data-subscriber') ?? '' });
}
