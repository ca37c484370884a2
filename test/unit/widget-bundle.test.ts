import test from 'ava';
import { gzipSync } from 'node:zlib';
import { buildWidgetBundle, loaderSource, WIDGET_GZIP_BUDGET } from '../../src/widget/widget-bundle.ts';

test('widget bundle + loader stay within 15 KB gzipped and are named by content hash; the call chunk is apart', async (t) => {
  const a = await buildWidgetBundle();
  const b = await buildWidgetBundle();
  t.is(a.hash, b.hash, 'same sources, same name: returning visitors keep their cached copy');
  t.regex(a.file, /^widget-[0-9a-f]{16}\.js$/);
  const loader = loaderSource(a.file);
  t.true(loader.includes(`widget/${a.file}`));
  const total = gzipSync(loader, { level: 9 }).length + a.gzipBytes;
  t.log(`bundle ${a.code.length} B raw, ${a.gzipBytes} B gzipped; with loader ${total} B`);
  t.true(total <= WIDGET_GZIP_BUDGET, `${total} B > ${WIDGET_GZIP_BUDGET} B`);
  t.false(a.code.includes('libphonenumber'), 'the phone library is too large for the widget');
  // The call chunk (JsSIP) is fetched only on "Call now": named by its own hash, named in the widget, not inside it.
  t.is(a.call.file, b.call.file);
  t.regex(a.call.file, /^call-[0-9a-f]{16}\.js$/);
  t.true(a.code.includes(a.call.file), 'the widget imports the chunk by its hashed name');
  t.false(a.code.includes('JsSIP'), 'JsSIP stays out of the first load');
  t.true(a.call.code.includes('X-Beckon-Ticket'));
  t.regex(a.call.code, /export\s*\{[^}]*runCall/, 'an ES module the widget import()s');
  t.log(`call chunk ${a.call.code.length} B raw, ${a.call.gzipBytes} B gzipped (loaded on "Call now" only)`);
  // The invitation chunk is fetched only when the directory sends an invitation for the page.
  t.is(a.invite.file, b.invite.file);
  t.regex(a.invite.file, /^invite-[0-9a-f]{16}\.js$/);
  t.true(a.code.includes(a.invite.file), 'the widget imports the invitation chunk by its hashed name');
  t.false(a.code.includes('prefers-reduced-motion'), "the invitation's view and styles stay out of the first load");
  t.regex(a.invite.code, /export\s*\{[^}]*runInvitation/, 'an ES module the widget import()s');
  t.log(`invitation chunk ${a.invite.code.length} B raw, ${a.invite.gzipBytes} B gzipped`);
});
