import { gzipSync } from 'node:zlib';
import { buildWidgetBundle, loaderSource, WIDGET_GZIP_BUDGET } from '../../../src/widget/widget-bundle.ts';

export interface WidgetSizeResult {
  /** what every page view of a subscriber's site loads: the loader behind /widget.js and the bundle, gzipped (KB) */
  firstLoadKb: number;
  /** the call chunk (call panel and JsSIP), fetched only when a visitor presses "Call now", gzipped (KB) */
  callChunkKb: number;
  budgetKb: number;
  problems: string[];
}

/** The sizes visitors download, built exactly as the web process builds them (no load, no baseline). */
export async function benchWidgetSize(): Promise<WidgetSizeResult> {
  const b = await buildWidgetBundle();
  const loader = gzipSync(loaderSource(b.file), { level: 9 }).length;
  const problems = b.code.includes(b.call.file) ? [] : [`the widget does not name its call chunk ${b.call.file}`];
  return { firstLoadKb: (b.gzipBytes + loader) / 1024, callChunkKb: b.call.gzipBytes / 1024, budgetKb: WIDGET_GZIP_BUDGET / 1024, problems };
}
