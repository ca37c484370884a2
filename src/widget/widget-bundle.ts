import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./client/main.ts', import.meta.url));

/** The browser bundle's gzipped budget (bytes): the widget loads on every page of a subscriber's site. */
export const WIDGET_GZIP_BUDGET = 15 * 1024;

export interface WidgetBundle { code: string; hash: string; file: string; gzipBytes: number }

/** Builds the widget in memory (~50 ms) at web start; the content hash names the file so it can be cached forever. */
export async function buildWidgetBundle(): Promise<WidgetBundle> {
  const out = await build({
    entryPoints: [ENTRY], bundle: true, minify: true, write: false, format: 'iife', target: ['es2020'],
    platform: 'browser', legalComments: 'none', logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  return { code, hash, file: `widget-${hash}.js`, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/**
 * The tiny loader behind /widget.js: short-cached, it inserts the hashed bundle with the same data-subscriber,
 * resolving the bundle against its own src so Beckon may sit behind any proxy or path prefix.
 */
export function loaderSource(file: string): string {
  return `(function(){var s=document.currentScript;if(!s||!s.src)return;var n=document.createElement("script");`
    + `n.src=new URL(${JSON.stringify(`widget/${file}`)},s.src).href;n.async=true;`
    + `n.setAttribute("data-subscriber",s.getAttribute("data-subscriber")||"");`
    + `(document.head||document.documentElement).appendChild(n)})();\n`;
}
