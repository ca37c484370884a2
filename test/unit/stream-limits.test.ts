import test from 'ava';
import { createStreamLimits, signedInStreamSlot } from '../../src/web/stream-limits.ts';

test('caps per key, per IP and in all; full() names the cap reached; a release frees its place once', (t) => {
  const l = createStreamLimits({ perKey: 2, perIp: 3, total: 4 });
  const a1 = l.acquire('a', 'ip1')!;
  l.acquire('a', 'ip1');
  t.is(l.acquire('a', 'ip2'), null);
  t.is(l.full('a', 'ip2'), 'key');
  l.acquire('b', 'ip1');
  t.is(l.full('c', 'ip1'), 'ip');
  l.acquire('c', 'ip2');
  t.is(l.open(), 4);
  t.is(l.full('d', 'ip3'), 'total');
  a1();
  a1();
  t.is(l.open(), 3, 'a second release changes nothing');
  t.is(l.full('d', 'ip3'), null);
});

test('without a per-IP cap, one address may hold up to the total', (t) => {
  const l = createStreamLimits({ perKey: 1, total: 3 });
  for (const k of ['a', 'b', 'c']) t.truthy(l.acquire(k, 'office'));
  t.is(l.full('d', 'office'), 'total');
});

test('a signed-in slot beyond a cap is a 429 saying which', (t) => {
  const l = createStreamLimits({ perKey: 1, total: 2 });
  signedInStreamSlot(l, 'agent:1', 'x');
  const perAccount = t.throws(() => signedInStreamSlot(l, 'agent:1', 'x')) as unknown as { status: number; code: string; message: string };
  t.like(perAccount, { status: 429, code: 'too_many_streams' });
  t.regex(perAccount.message, /already has 1 live connections open/);
  signedInStreamSlot(l, 'agent:2', 'x');
  const total = t.throws(() => signedInStreamSlot(l, 'agent:3', 'x')) as { message: string };
  t.regex(total.message, /This server holds too many live connections/);
});
