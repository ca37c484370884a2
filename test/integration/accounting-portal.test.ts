import test from 'ava';
import { DateTime } from 'luxon';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { FormClient, ownerClient } from '../helpers/portal.ts';
import { until } from '../helpers/wait-for.ts';
import { parseCsv } from '../helpers/csv-parse.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { setPasswordHash } from '../../src/subscribers/subscriber.repository.ts';
import { RECORD_CSV_HEADER, statementFor } from '../../src/accounting/statement.service.ts';

let s: Stack;
let portal: FormClient;
let demoId: string;
const TZ = 'America/New_York';

/** percentile_cont: linear interpolation between closest ranks (restated for the test). */
function percentile(values: number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  const rank = p * (v.length - 1);
  const lo = Math.floor(rank), hi = Math.ceil(rank);
  return v[lo]! + (v[hi]! - v[lo]!) * (rank - lo);
}

test.before(async () => {
  s = await startStack({ label: 'acct_portal', env: { TRUST_PROXY: 'true', RATE_LIMITS_ENABLED: 'false' } });
  demoId = (await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`)).rows[0].id;
  const calls = [
    ['+1 202 555 0141', 'http://localhost/pricing?utm_source=ad', undefined],
    ['+1 202 555 0143', 'http://localhost/pricing#plans', 'Sales'],
    ['+1 202 555 0150', 'http://localhost/contact', undefined],
    ['+1 202 555 0144', 'http://localhost/contact', 'Sales'],
  ] as const;
  const created = await Promise.all(calls.map(([phone, pageUrl, department]) => request(s.base, phone, { pageUrl, ...(department ? { department } : {}) })));
  for (const r of created) if (r.status !== 202) throw new Error(`request refused: ${r.text}`);
  await Promise.all(created.map((r) => waitForStatus(s.base, r.json, (st) => st.attempts?.[0]?.endedAt && (FINAL.has(st.status) || st.status === 'scheduled'), 20000)));
  // records are written right after the attempt ends
  await until(async () => (await s.c.pool.query(
    `SELECT count(DISTINCT request_id)::int AS n FROM call_records WHERE request_id = ANY($1)`, [created.map((r) => r.json.id)])).rows[0].n >= 4, 10000, 100);
  portal = await ownerClient(s.base);
});
test.after.always(async () => { await s?.close(); });

const today = () => DateTime.now().setZone(TZ).toISODate()!;

test.serial('the report counts call-backs per page (query and fragment ignored), per department, with answer times', async (t) => {
  const r = await portal.get(`/portal/reports.csv?from=${today()}&to=${today()}`);
  t.is(r.status, 200);
  const rows = parseCsv(r.text);
  t.deepEqual(rows[0], ['dimension', 'key', 'requests', 'answered', 'connected', 'answer_rate_pct', 'connect_rate_pct', 'median_answer_sec', 'p90_answer_sec', 'completed', 'failed', 'canceled']);
  const find = (dim: string, key: string) => rows.find((x) => x[0] === dim && x[1] === key);
  t.deepEqual(find('page', 'http://localhost/pricing')?.slice(2, 7), ['2', '2', '2', '100', '100']);
  t.deepEqual(find('page', 'http://localhost/contact')?.slice(2, 7), ['2', '1', '1', '50', '50']);
  t.deepEqual(find('department', 'Sales')?.slice(2, 5), ['2', '2', '2']);
  t.deepEqual(find('department', '(no department)')?.slice(2, 5), ['2', '1', '1']);
  t.deepEqual(find('day', today())?.slice(2, 5), ['4', '3', '3']);
  const total = find('total', 'all')!;
  t.deepEqual(total.slice(2, 7), ['4', '3', '3', '75', '75']);
  // Per channel: these are all phone call-backs; web calls show as zeros.
  t.deepEqual(find('channel', 'phone call-back')?.slice(2, 5), ['4', '3', '3']);
  t.deepEqual(find('channel', 'web call')?.slice(2, 5), ['0', '0', '0']);
  // outcomes by the requests' statuses as stored
  const { rows: [st] } = await s.c.pool.query(
    `SELECT count(*) FILTER (WHERE status = 'completed')::int AS completed, count(*) FILTER (WHERE status IN ('failed', 'expired'))::int AS failed,
            count(*) FILTER (WHERE status = 'canceled')::int AS canceled FROM callback_requests WHERE subscriber_id = $1`, [demoId]);
  t.deepEqual(total.slice(9, 12), [String(st.completed), String(st.failed), String(st.canceled)]);
  t.deepEqual(find('channel', 'phone call-back')?.slice(9, 12), total.slice(9, 12));
  // answer times recomputed from the stored rows
  const { rows: waits } = await s.c.pool.query(
    `SELECT extract(epoch FROM min(a.answered_at) - r.created_at)::float8 AS w FROM callback_requests r JOIN call_attempts a ON a.request_id = r.id
     WHERE a.answered_at IS NOT NULL GROUP BY r.id, r.created_at`);
  const w = waits.map((x) => x.w as number);
  t.is(w.length, 3);
  t.is(Number(total[7]), Math.round(percentile(w, 0.5) * 10) / 10);
  t.is(Number(total[8]), Math.round(percentile(w, 0.9) * 10) / 10);
});

test.serial('a date range without requests reports zeros; the HTML report draws SVG charts and escapes page URLs', async (t) => {
  const empty = parseCsv((await portal.get('/portal/reports.csv?from=2020-01-01&to=2020-01-03')).text);
  t.deepEqual(empty.find((x) => x[0] === 'total')!.slice(2, 5), ['0', '0', '0']);
  t.is(empty.filter((x) => x[0] === 'day').length, 3, 'every day of the range, even empty ones');
  const page = await portal.get(`/portal/reports?from=${today()}&to=${today()}`);
  t.is(page.status, 200);
  t.regex(page.text, /<svg [^>]*class="chart"/);
  t.regex(page.text, /data-kpi="requests">4</);
  t.regex(page.text, /<td>http:\/\/localhost\/pricing<\/td><td>2<\/td>/);
  t.false(/cdn|https:\/\/[^"']*\.js/.test(page.text), 'nothing loaded from another origin');
});

test.serial('usage this month and the call records CSV agree with the stored records to the cent', async (t) => {
  const month = today().slice(0, 7);
  const { rows: recs } = await s.c.pool.query(`SELECT * FROM call_records WHERE subscriber_id = $1 AND started_at >= $2`, [demoId, DateTime.fromISO(`${month}-01`, { zone: TZ }).toJSDate()]);
  const sum = recs.reduce((n, r) => n + Number(r.charge_cents), 0);
  t.true(sum > 0, 'answered legs cost something');
  const usage = await portal.get('/portal/usage');
  t.is(usage.status, 200);
  t.regex(usage.text, new RegExp(`data-total>${Math.floor(sum / 100)}\\.${String(sum % 100).padStart(2, '0')} USD`));
  const rowsHtml = usage.text.slice(usage.text.indexOf('id="records"'));
  // calls are listed in the subscriber's zone, as its months and requests are
  t.true(rowsHtml.includes(`<th>Started (${TZ})</th>`));
  const first = [...recs].sort((a, b) => a.started_at - b.started_at)[0]!;
  t.true(rowsHtml.includes(`<tr><td>${DateTime.fromJSDate(first.started_at, { zone: TZ }).toFormat('yyyy-LL-dd HH:mm:ss')}</td>`), rowsHtml.slice(0, 600));
  t.false(rowsHtml.includes(' UTC</td>'));
  const csv = parseCsv((await portal.get(`/portal/usage/calls.csv?month=${month}`)).text);
  t.deepEqual(csv[0], [...RECORD_CSV_HEADER]);
  t.is(csv.length - 1, recs.length);
  const idx = (name: string) => csv[0]!.indexOf(name);
  const csvCents = csv.slice(1).reduce((n, row) => n + Math.round(Number(row[idx('charge')]) * 100), 0);
  t.is(csvCents, sum);
  const busy = csv.slice(1).find((row) => row[idx('to')] === '+12025550150')!;
  t.deepEqual([busy[idx('leg')], busy[idx('disposition')], busy[idx('billable_sec')], busy[idx('charge')], busy[idx('hangup_cause')]], ['visitor', 'BUSY', '0', '0.00', '17']);
  t.true(csv.slice(1).some((row) => row[idx('page_url')] === 'http://localhost/pricing?utm_source=ad'));
  for (const row of csv.slice(1)) t.is(row[idx('started_at')], recs.find((r) => r.id === row[idx('record_id')])!.started_at.toISOString());
});

test.serial('statements follow the subscriber time zone across a month boundary', async (t) => {
  // Two legs 1 hour apart around midnight New York time on Sept 30 -> Oct 1 (both October in UTC).
  const { rows: [req] } = await s.c.pool.query(
    `INSERT INTO callback_requests (subscriber_id, phone_e164, status, token_hash, created_at) VALUES ($1, '+12025550141', 'completed', '\\x00', '2026-10-01T03:00:00Z') RETURNING id`, [demoId]);
  const attempt = async (n: number) => (await s.c.pool.query(
    `INSERT INTO call_attempts (request_id, n, state, started_at, ended_at) VALUES ($1, $2, 'ended', '2026-10-01T03:00:00Z', '2026-10-01T05:00:00Z') RETURNING id`, [req.id, n])).rows[0].id;
  const leg = async (attemptId: string, at: string, cents: number) => s.c.pool.query(
    `INSERT INTO call_records (attempt_id, request_id, subscriber_id, leg, channel_id, started_at, answered_at, ended_at, duration_sec, billable_sec, disposition, billed_sec, charge_cents)
     VALUES ($1, $2, $3, 'visitor', $4, $5, $5, $5::timestamptz + interval '60 seconds', 60, 60, 'ANSWERED', 60, $6)`, [attemptId, req.id, demoId, `bk-v-${attemptId}`, at, cents]);
  await leg(await attempt(1), '2026-10-01T03:30:00Z', 7);   // 23:30 on Sept 30 in New York
  await leg(await attempt(2), '2026-10-01T04:30:00Z', 11);  // 00:30 on Oct 1 in New York
  const sept = await portal.get('/portal/usage/2026-09');
  t.is(sept.status, 200);
  t.regex(sept.text, /data-total>0\.07 USD/);
  t.regex((await portal.get('/portal/usage/2026-10')).text, /data-total>0\.11 USD/);
  t.is((await statementFor(s.c.pool, { id: demoId, timezone: 'UTC' }, { year: 2026, month: 10 })).totalCents, 18, 'in UTC both are October');
  const csv = parseCsv((await portal.get('/portal/usage/statements.csv')).text);
  const byMonth = Object.fromEntries(csv.slice(1).map((r) => [r[0], r]));
  t.is(byMonth['2026-09']![7], '0.07');
  t.is(byMonth['2026-10']![7], '0.11');
  t.is(byMonth['2026-09']![1], TZ);
  t.is((await portal.get('/portal/usage/2026-13')).status, 400);
});

test.serial('reports and usage need a subscriber session and show only its own data', async (t) => {
  const anon = new FormClient(s.base);
  for (const p of ['/portal/reports', '/portal/reports.csv', '/portal/usage', '/portal/usage/calls.csv', '/portal/usage/statements.csv', '/portal/usage/2026-09']) {
    const r = await anon.get(p);
    t.is(r.status, 302, p);
    t.regex(r.location!, /^\/login/);
  }
  // another subscriber with no calls sees nothing of the demo's
  const { rows: [other] } = await s.c.pool.query(`INSERT INTO subscribers (slug, name, email, timezone) VALUES ('other-co', 'Other Co', 'other@example.com', 'UTC') RETURNING id`);
  await setPasswordHash(s.c.pool, other.id, await hashPassword('other-password-1'));
  const c = new FormClient(s.base);
  await c.get('/login');
  const login = await c.post('/login', { email: 'other@example.com', password: 'other-password-1' });
  t.is(login.status, 303);
  const csv = parseCsv((await c.get(`/portal/usage/calls.csv?month=${today().slice(0, 7)}`)).text);
  t.is(csv.length, 1, 'header only');
  const rep = parseCsv((await c.get(`/portal/reports.csv?from=${today()}&to=${today()}`)).text);
  t.deepEqual(rep.find((x) => x[0] === 'total')!.slice(2, 5), ['0', '0', '0']);
});
