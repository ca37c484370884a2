import test from 'ava';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { withLocalFonts } from '../../src/admin/bull-board.ts';

// The page Bull Board's Koa adapter renders (its own copy of @bull-board/ui).
const koaDir = dirname(createRequire(import.meta.url).resolve('@bull-board/koa/package.json'));
const uiDir = dirname(createRequire(join(koaDir, 'package.json')).resolve('@bull-board/ui/package.json'));
const page = readFileSync(join(uiDir, 'dist', 'index.ejs'), 'utf8');

test('Bull Board\'s page links our own copy of its fonts instead of the font CDN the CSP blocks', (t) => {
  t.regex(page, /fonts\.googleapis\.com/, 'the shipped page still loads a CDN (else this rewrite is no longer needed)');
  const ours = withLocalFonts(page);
  t.notRegex(ours, /https?:\/\//);
  t.regex(ours, /<link href="\/admin\/queues\/fonts\/plex\.css" rel="stylesheet">/);
  t.is(ours.match(/<link/g)!.length, page.match(/<link/g)!.length);
});
