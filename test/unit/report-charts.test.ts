import test from 'ava';
import { barChart, rankChart, escapeXml } from '../../src/reports/svg-chart.ts';
import { reportRange, fillDays, fillChannels, withRates } from '../../src/reports/report.service.ts';
import { metricsAllowed } from '../../src/observability/metrics-access.ts';

test('bar chart: one rect per value, heights proportional, labels escaped', (t) => {
  const svg = barChart({ title: 'T <1>', labels: ['a', '<script>'], series: [{ name: 'Requests', color: '#000', values: [2, 4] }] });
  t.true(svg.startsWith('<svg'));
  t.false(svg.includes('<script>'));
  t.true(svg.includes('&lt;script&gt;'));
  const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#000"><title>/g)].map((m) => Number(m[1]));
  t.is(heights.length, 2);
  t.is(heights[1], heights[0]! * 2);
});

test('rank chart escapes long visitor-supplied labels and keeps the full one in a tooltip', (t) => {
  const label = `https://shop.example.com/${'x'.repeat(60)}?q="'&`;
  const svg = rankChart({ title: 'Pages', rows: [{ label, value: 3 }] });
  t.true(svg.includes(escapeXml(label)));
  t.false(svg.includes(`"'&`));
});

test('report range: inclusive days in the subscriber zone, defaults, swapped and oversized ranges', (t) => {
  const now = new Date('2026-11-22T03:00:00Z'); // still Nov 21 in New York
  const d = reportRange({}, 'America/New_York', now);
  t.is(d.toDay, '2026-11-21');
  t.is(d.fromDay, '2026-10-23');
  const r = reportRange({ from: '2026-11-02', to: '2026-11-01' }, 'America/New_York', now);
  t.deepEqual([r.fromDay, r.toDay], ['2026-11-01', '2026-11-02']);
  t.is(r.from.toISOString(), '2026-11-01T04:00:00.000Z');
  t.is(r.to.toISOString(), '2026-11-03T05:00:00.000Z'); // DST ended on Nov 1
  t.is(reportRange({ from: '2025-11-22', to: '2026-11-22' }, 'UTC', now).fromDay, '2025-11-22'); // 365 days: fine
  // Bounded at the edge: an over-long range, a malformed or far-off date is a 400 naming the field.
  t.like(t.throws(() => reportRange({ from: '2000-01-01', to: '2026-01-01' }, 'UTC', now)), { status: 400, code: 'range_too_long' });
  t.like(t.throws(() => reportRange({ from: "1' OR 1=1", to: 'x' }, 'UTC', now)), { status: 400, code: 'bad_date' });
  t.like(t.throws(() => reportRange({ from: '9999-12-30', to: '9999-12-31' }, 'UTC', now)), { status: 400, code: 'bad_date' });
  t.is(reportRange({ from: '', to: '' }, 'UTC', now).toDay, '2026-11-22');
  const filled = fillDays([{ key: '2026-11-02', requests: 2, answered: 1, connected: 1, medianAnswerSec: 3, p90AnswerSec: 4, completed: 1, failed: 1, canceled: 0 }], r, 'America/New_York');
  t.deepEqual(filled.map((x) => [x.key, x.requests]), [['2026-11-01', 0], ['2026-11-02', 2]]);
  t.like(withRates(filled[1]!), { answerRate: 50, connectRate: 50 });
  t.is(withRates(filled[0]!).answerRate, null);
});

test('fillChannels: phone call-backs then web calls, a channel without requests as zeros', (t) => {
  const web = { key: 'web call', requests: 3, answered: 2, connected: 2, medianAnswerSec: 5, p90AnswerSec: 8, completed: 2, failed: 1, canceled: 0 };
  const rows = fillChannels([web]);
  t.deepEqual(rows.map((x) => x.key), ['phone call-back', 'web call']);
  t.like(rows[0], { requests: 0, completed: 0, failed: 0, canceled: 0, medianAnswerSec: null });
  t.is(rows[1], web);
});

test('fillDays ends past year 9999, where printed dates no longer sort (+010000-01-01 < 9999-12-31)', (t) => {
  const range = { from: new Date('9999-12-30T00:00:00Z'), to: new Date(Date.UTC(10000, 0, 2)), fromDay: '9999-12-30', toDay: '+010000-01-01' };
  const days = fillDays([], range, 'UTC');
  t.deepEqual(days.map((d) => d.key), ['9999-12-30', '9999-12-31', '+010000-01-01']);
});

test('metrics access: token, loopback, private ranges, exact addresses', (t) => {
  const token = 'a-long-metrics-token-1234';
  const base = { token: undefined as string | undefined, allow: 'loopback', authorization: undefined as string | undefined };
  t.true(metricsAllowed({ ...base, ip: '127.0.0.1' }));
  t.true(metricsAllowed({ ...base, ip: '::1' }));
  t.true(metricsAllowed({ ...base, ip: '::ffff:127.0.0.1' }));
  t.false(metricsAllowed({ ...base, ip: '203.0.113.9' }));
  t.false(metricsAllowed({ ...base, ip: '10.1.2.3' }));
  t.true(metricsAllowed({ ...base, allow: 'private', ip: '10.1.2.3' }));
  t.true(metricsAllowed({ ...base, allow: 'private', ip: '172.20.0.5' }));
  t.false(metricsAllowed({ ...base, allow: 'private', ip: '172.32.0.5' }));
  t.true(metricsAllowed({ ...base, allow: 'loopback, 198.51.100.7', ip: '198.51.100.7' }));
  t.true(metricsAllowed({ ...base, allow: 'any', ip: '203.0.113.9' }));
  t.true(metricsAllowed({ ...base, token, allow: '', authorization: `Bearer ${token}`, ip: '203.0.113.9' }));
  t.false(metricsAllowed({ ...base, token, allow: '', authorization: 'Bearer wrong', ip: '203.0.113.9' }));
  t.false(metricsAllowed({ ...base, token, allow: '', authorization: `Basic ${token}`, ip: '203.0.113.9' }));
  t.false(metricsAllowed({ ...base, token: undefined, allow: '', authorization: 'Bearer ', ip: '203.0.113.9' }));
});
