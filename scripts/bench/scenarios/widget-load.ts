import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Request } from 'playwright-core';
import { beckonEnv, benchRedisPrefix, createBenchDb, dropRedisPrefix } from '../lib/bench-env.ts';
import { countLogProblems, freePort, spawnNode, waitForLog } from '../lib/children.ts';
import type { BenchContext } from '../lib/context.ts';
import type { Figure } from '../lib/report.ts';
import { MAIN_THREAD_CATEGORIES, mainThreadBusy, type TraceEvent } from '../lib/trace-main-thread.ts';
import { median } from '../lib/stats.ts';

export interface PageLoad {
  /** wall time of the page's main-thread tasks from navigation start to the end point (CPU throttled), ms */
  busyMs: number;
  /** the thread CPU time of those tasks, ms: unthrottled, and barely changed by a busy machine */
  cpuMs: number;
  /** the end point: the widget's button on screen (or, without the widget, the load event), from navigation start, ms */
  readyMs: number;
  /** response bodies fetched before the end point, each gzipped (level 9) as a compressing server or CDN sends it */
  gzipBytes: number;
  /** the same bodies as this Beckon served them (it does not compress) plus their response headers */
  wireBytes: number;
  requests: number;
}

export interface WidgetLoadResult {
  cpuThrottle: number;
  loads: number;
  withWidget: PageLoad[];
  without: PageLoad[];
  median: { withWidget: PageLoad; without: PageLoad };
  /** medians of the differences of each pair of loads (with − without, loaded one after the other) */
  added: { busyMs: number; cpuMs: number; gzipBytes: number };
  problems: string[];
  logProblems: string[];
  notes: string[];
}

export const CPU_THROTTLE = 4;

export const WIDGET_LOAD_METHOD = `Widget first load: headless Chromium (Debian's /usr/bin/chromium through playwright-core), CPU throttled ${CPU_THROTTLE}× (CDP Emulation.setCPUThrottlingRate), loads a small third-party page from a local server on http://localhost:<port> (a domain of the demo subscriber) with the widget's script tag as a subscriber embeds it (\`<script src="<beckon>/widget.js" data-subscriber="demo" async>\`, Beckon on another origin, a \`beckon web\` child), next to the same page without the tag; each load in a fresh browser context (empty cache), the two alternating. Main-thread busy time comes from a Chrome trace of each load: the top-level tasks (\`ThreadControllerImpl::RunTask\`) of the page's renderer main thread from its navigation start to the end point, summed as wall time (throttled, what the visitor waits through) and as thread CPU time (unthrottled, barely changed by a busy machine); "added" is the median of the differences of each pair of loads. The end point is a user-timing mark two animation frames after the widget's element (with its button) is in the page, or, without the widget, after the load event (an init script in both pages watches for it, so both carry its cost). Bytes are the response bodies that finished before the end point, page included, each gzipped at level 9 (Beckon serves them uncompressed; a compressing proxy or CDN sends about this); the notes give them as served. Checked: the button is in the widget's shadow root and visible, and the page without the tag makes no request to Beckon.`;

/** Marks the end point in the page and tells the bench through the console (no polling from outside, which would cost main-thread time). */
const endPointScript = (withWidget: boolean): string => `(() => {
  const done = (what) => requestAnimationFrame(() => requestAnimationFrame(() => { performance.mark('bench-end'); console.debug('bench-end ' + what); }));
  if (!${withWidget}) { addEventListener('load', () => done('load')); return; }
  let loaded = document.readyState === 'complete';
  let shown = false;
  const maybe = () => { if (loaded && shown) done('widget'); };
  addEventListener('load', () => { loaded = true; maybe(); });
  new MutationObserver((records, obs) => {
    if (document.querySelector('beckon-widget')) { obs.disconnect(); shown = true; maybe(); }
  }).observe(document, { childList: true, subtree: true });
})();`;

/** A small shop page: some text and styles, the widget's tag or not. */
function shopPage(beckonBase: string | null): string {
  const tag = beckonBase ? `<script src="${beckonBase}/widget.js" data-subscriber="demo" async></script>` : '';
  const items = Array.from({ length: 12 }, (_, i) => `<li><h3>Product ${i + 1}</h3><p>A fine product with a short description, a price and a button.</p><button>Add to cart</button></li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><meta name="viewport" content="width=device-width">`
    + `<style>body{font:16px/1.4 sans-serif;margin:0 auto;max-width:960px;padding:1rem}ul{display:grid;grid-template-columns:repeat(3,1fr);gap:1rem;list-style:none;padding:0}li{border:1px solid #ddd;padding:1rem}</style>`
    + `</head><body><header><h1>Third-party shop</h1><nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav></header><main><ul>${items}</ul></main>${tag}</body></html>`;
}

async function loadOnce(browser: Browser, pageUrl: string, withWidget: boolean, beckonOrigin: string): Promise<PageLoad & { problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  try {
    await context.addInitScript(endPointScript(withWidget));
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_THROTTLE });
    const finished: Request[] = [];
    page.on('requestfinished', (r) => finished.push(r));
    const ended = page.waitForEvent('console', { predicate: (m) => m.text().startsWith('bench-end'), timeout: 30_000 });
    await browser.startTracing(page, { categories: MAIN_THREAD_CATEGORIES });
    let trace: Buffer;
    try {
      await page.goto(pageUrl, { waitUntil: 'commit' });
      await ended;
    } finally {
      trace = await browser.stopTracing();
    }
    const seen = [...finished];
    const parsed = JSON.parse(trace.toString('utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
    const busy = mainThreadBusy(Array.isArray(parsed) ? parsed : parsed.traceEvents ?? [], 'bench-end');
    if (!busy) problems.push('the trace holds no end mark');
    const busyMs = busy?.wallMs ?? NaN;
    const cpuMs = busy?.cpuMs ?? NaN;
    const readyMs = busy?.untilMarkMs ?? NaN;
    let gzipBytes = 0;
    let wireBytes = 0;
    for (const r of seen) {
      const res = await r.response();
      const body = res ? await res.body().catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
      gzipBytes += body.length ? gzipSync(body, { level: 9 }).length : 0;
      const sizes = await r.sizes();
      wireBytes += sizes.responseBodySize + sizes.responseHeadersSize;
    }
    const toBeckon = seen.filter((r) => r.url().startsWith(beckonOrigin)).length;
    if (withWidget) {
      const visible = await page.locator('beckon-widget').locator('button.fab').isVisible();
      if (!visible) problems.push('the widget\'s button is not visible at the end point');
      if (toBeckon < 3) problems.push(`only ${toBeckon} requests to Beckon before the button showed (loader, bundle and directory expected)`);
    } else if (toBeckon) {
      problems.push(`the page without the widget made ${toBeckon} requests to Beckon`);
    }
    if (!(busyMs > 0)) problems.push(`no main-thread time read (${busyMs})`);
    return { busyMs, cpuMs, readyMs, gzipBytes, wireBytes, requests: seen.length, problems };
  } finally {
    await context.close();
  }
}

const medianLoad = (r: PageLoad[]): PageLoad => {
  const m = (k: keyof PageLoad) => median(r.map((x) => x[k]));
  return { busyMs: m('busyMs'), cpuMs: m('cpuMs'), readyMs: m('readyMs'), gzipBytes: m('gzipBytes'), wireBytes: m('wireBytes'), requests: m('requests') };
};

/**
 * The widget's cost to a subscriber's page on first load: main-thread time and bytes until its button shows, on a
 * CPU throttled 4×, next to the same page without the widget; loads alternate, each in a fresh context.
 */
export async function benchWidgetLoad(ctx: BenchContext): Promise<WidgetLoadResult> {
  const loads = ctx.quick ? 3 : Math.max(7, ctx.plan.runs * 3);
  const result: WidgetLoadResult = { cpuThrottle: CPU_THROTTLE, loads, withWidget: [], without: [], median: undefined as never, added: undefined as never, problems: [], logProblems: [], notes: [] };
  const db = await createBenchDb('widget-load');
  const prefix = benchRedisPrefix('widget-load');
  const port = await freePort();
  const beckonBase = `http://127.0.0.1:${port}`;
  const web = spawnNode({ name: 'widget-load-web', args: ['src/main/cli.ts', 'web'], env: beckonEnv({ dbUrl: db.url, prefix, port, workerId: `bench-widget-load-${process.pid}` }), logDir: ctx.logDir });
  const site = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(shopPage(req.url?.startsWith('/with/') ? beckonBase : null));
  });
  let browser: Browser | null = null;
  try {
    await waitForLog(web, '"msg":"web listening"');
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const sitePort = (site.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    const run = async (withWidget: boolean, label: string) => {
      const r = await loadOnce(browser!, `http://localhost:${sitePort}/${withWidget ? 'with' : 'without'}/pricing`, withWidget, beckonBase);
      for (const p of r.problems) result.problems.push(`widget load, ${label}: ${p}`);
      const { problems: _, ...load } = r;
      return load;
    };
    // Warm-up (Beckon builds its bundle on first request, the browser's first context): not counted, but checked.
    await run(true, 'warm-up with the widget');
    await run(false, 'warm-up without it');
    for (let i = 1; i <= loads; i++) {
      const x = await run(true, `load ${i} with the widget`);
      const y = await run(false, `load ${i} without it`);
      result.withWidget.push(x);
      result.without.push(y);
      ctx.progress(`widget load ${i}/${loads}: with ${x.busyMs.toFixed(0)} ms busy (CPU ${x.cpuMs.toFixed(0)}), button at ${x.readyMs.toFixed(0)} ms, ${(x.gzipBytes / 1024).toFixed(1)} KB gzipped in ${x.requests} requests; without ${y.busyMs.toFixed(0)} ms busy (CPU ${y.cpuMs.toFixed(0)}), load at ${y.readyMs.toFixed(0)} ms, ${(y.gzipBytes / 1024).toFixed(1)} KB`);
    }
    const lp = countLogProblems(web);
    if (lp.warn || lp.error) result.logProblems.push(`${web.name} logged ${lp.error} errors and ${lp.warn} warnings, e.g. ${lp.sample[0]}`);
  } finally {
    await browser?.close();
    await new Promise((r) => site.close(r));
    await web.stop();
    await dropRedisPrefix(prefix);
    await db.drop();
  }
  result.median = { withWidget: medianLoad(result.withWidget), without: medianLoad(result.without) };
  const diff = (k: 'busyMs' | 'cpuMs' | 'gzipBytes') => median(result.withWidget.map((w, i) => w[k] - (result.without[i]?.[k] ?? NaN)));
  result.added = { busyMs: diff('busyMs'), cpuMs: diff('cpuMs'), gzipBytes: diff('gzipBytes') };
  const w = result.median.withWidget;
  result.notes.push(`Widget first load: the widget added ${result.added.busyMs.toFixed(0)} ms of main-thread time at ${CPU_THROTTLE}× CPU throttling (${result.added.cpuMs.toFixed(0)} ms of thread CPU time) and ${(result.added.gzipBytes / 1024).toFixed(1)} KB gzipped (median of ${loads} pairs of loads); before its button showed the page made ${w.requests} requests, ${(w.wireBytes / 1024).toFixed(1)} KB as Beckon serves them (uncompressed, headers included).`);
  return result;
}

/** The table's lines for the widget's first load; n/a when the scenario did not run. */
export function widgetLoadFigures(r: WidgetLoadResult | undefined): Figure[] {
  const m = r?.median;
  const x = r ? ` (CPU ${r.cpuThrottle}× slower)` : '';
  const base = { baselineName: 'same page without the widget' };
  return [
    { name: `Widget first load: main-thread busy time until the button shows${x}`, unit: 'ms', ours: m?.withWidget.busyMs ?? NaN, baseline: m?.without.busyMs ?? NaN, ...base },
    { name: `Widget first load: main-thread time the widget adds${x}`, unit: 'ms', ours: r?.added.busyMs ?? NaN, baseline: null, baselineName: null },
    { name: 'Widget first load: main-thread CPU time (thread time, unthrottled)', unit: 'ms', ours: m?.withWidget.cpuMs ?? NaN, baseline: m?.without.cpuMs ?? NaN, ...base },
    { name: `Widget first load: time until the button shows${x}`, unit: 'ms', ours: m?.withWidget.readyMs ?? NaN, baseline: m?.without.readyMs ?? NaN, ...base },
    { name: 'Widget first load: bytes before the button shows, gzipped (page included)', unit: 'KB', ours: (m?.withWidget.gzipBytes ?? NaN) / 1024, baseline: (m?.without.gzipBytes ?? NaN) / 1024, ...base },
  ];
}
