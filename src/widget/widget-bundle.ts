import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { sourcePath } from '../platform/package-files.ts';

const ENTRY = sourcePath('widget/client/main.ts');
const CALL_ENTRY = sourcePath('widget/client/call/call-panel.ts');
const INVITE_ENTRY = sourcePath('widget/client/invite/invite-panel.ts');
const CHAT_ENTRY = sourcePath('widget/client/chat/chat-panel.ts');

/** The browser bundle's gzipped budget (bytes): the widget loads on every page of a subscriber's site. */
export const WIDGET_GZIP_BUDGET = 15 * 1024;

/** The libraries the call chunk carries, named in it as their MIT licences ask. */
const CALL_BANNER = '/*! Beckon web call. Includes JsSIP 3.13.8 (MIT, https://jssip.net), sdp-transform (MIT), debug (MIT), events (MIT). */';

export interface BundleFile { code: string; hash: string; file: string; gzipBytes: number }

/**
 * The widget, the call chunk it imports when a visitor presses "Call now" (never before), and the invitation
 * chunk it imports when the directory sends an invitation for the page, and the chat chunk it imports when a visitor
 * presses "Message us".
 */
export interface WidgetBundle extends BundleFile { call: BundleFile; invite: BundleFile; chat: BundleFile }

function named(prefix: string, code: string): BundleFile {
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  return { code, hash, file: `${prefix}-${hash}.js`, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/**
 * The call chunk: an ES module (the widget loads it with import(), CORS-readable like the bundle) holding the call
 * panel and JsSIP. Kept out of the widget so its first load stays within WIDGET_GZIP_BUDGET.
 */
async function buildCallChunk(): Promise<BundleFile> {
  const out = await build({
    entryPoints: [CALL_ENTRY], bundle: true, minify: true, write: false, format: 'esm', target: ['es2020'],
    platform: 'browser', legalComments: 'none', logLevel: 'silent', banner: { js: CALL_BANNER },
  });
  return named('call', out.outputFiles[0]!.text);
}

/** A chunk without libraries: an ES module like the call chunk (the invitation's, the chat's). */
async function buildPlainChunk(prefix: string, entry: string): Promise<BundleFile> {
  const out = await build({
    entryPoints: [entry], bundle: true, minify: true, write: false, format: 'esm', target: ['es2020'],
    platform: 'browser', legalComments: 'none', logLevel: 'silent',
  });
  return named(prefix, out.outputFiles[0]!.text);
}

/**
 * Builds the widget and its call chunk in memory (~150 ms) at web start. Content hashes name both files so they
 * can be cached forever; the widget names the chunk's file, so a new chunk gives a new widget file too.
 */
export async function buildWidgetBundle(): Promise<WidgetBundle> {
  const [call, invite, chat] = await Promise.all([buildCallChunk(), buildPlainChunk('invite', INVITE_ENTRY), buildPlainChunk('chat', CHAT_ENTRY)]);
  const out = await build({
    entryPoints: [ENTRY], bundle: true, minify: true, write: false, format: 'iife', target: ['es2020'],
    platform: 'browser', legalComments: 'none', logLevel: 'silent',
    define: { __BECKON_CALL_CHUNK__: JSON.stringify(call.file), __BECKON_INVITE_CHUNK__: JSON.stringify(invite.file),
      __BECKON_CHAT_CHUNK__: JSON.stringify(chat.file) },
  });
  return { ...named('widget', out.outputFiles[0]!.text), call, invite, chat };
}

/** The file a widget route may serve under /widget/<file>, or null. */
export function bundleFile(b: WidgetBundle, file: string): BundleFile | null {
  return [b, b.call, b.invite, b.chat].find((f) => f.file === file) ?? null;
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
