import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { sourcePath } from '../platform/package-files.ts';

const ENTRY = sourcePath('agents/client/softphone.ts');
const BANNER = '/*! Beckon agent softphone. Includes JsSIP 3.13.8 (MIT, https://jssip.net), sdp-transform (MIT), debug (MIT), events (MIT). */';

export interface SoftphoneBundle { code: string; file: string }

/**
 * The console softphone script, built in memory at web start and served by Beckon under its content hash (cached
 * for a year): a classic script, so the console keeps script-src 'self' and loads it with a plain <script>.
 */
export async function buildSoftphoneBundle(): Promise<SoftphoneBundle> {
  const out = await build({
    entryPoints: [ENTRY], bundle: true, minify: true, write: false, format: 'iife', target: ['es2020'],
    platform: 'browser', legalComments: 'none', logLevel: 'silent', banner: { js: BANNER },
  });
  const code = out.outputFiles[0]!.text;
  return { code, file: `softphone-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js` };
}
