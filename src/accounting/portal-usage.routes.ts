import Router from 'koa-router';
import { DateTime } from 'luxon';
import type { Pool } from '../platform/db/pool.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';
import { csrfToken } from '../auth/csrf.ts';
import type { AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { portalNav } from '../web/portal-nav.ts';
import { listCallRecords } from './accounting.repository.ts';
import { formatCents } from './rating.ts';
import { BadMonthError, monthKey, monthOf, monthRange, parseMonthKey, type Statement } from './statement.ts';
import { recordsCsv, statementFor, statementsCsv, statementsFor } from './statement.service.ts';

export const statementView = (s: Statement, currency: string) => ({
  ...s, usage: formatCents(s.usageCents), fee: formatCents(s.monthlyFeeCents), total: formatCents(s.totalCents), currency,
  legs: s.lines.reduce((n, l) => n + l.calls, 0), minutes: (s.lines.reduce((n, l) => n + l.billedSec, 0) / 60).toFixed(1),
  lines: s.lines.map((l) => ({ ...l, charge: formatCents(l.chargeCents), minutes: (l.billedSec / 60).toFixed(1) })),
});

/** /portal/usage: this month so far, past statements, and CSV of statements and call records. */
export function portalUsageRoutes(deps: { pool: Pool; render: Render; currency: string }): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.use(requireSubscriber(deps.pool));
  const month = (v: unknown, tz: string) => {
    if (v === undefined) return monthOf(new Date(), tz);
    const m = typeof v === 'string' ? parseMonthKey(v) : null;
    if (!m) throw new BadMonthError();
    return m;
  };

  router.get('/portal/usage', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    const statements = await statementsFor(deps.pool, s);
    const current = monthKey(monthOf(new Date(), s.timezone));
    const selected = month(ctx.query.month, s.timezone);
    const { from, to } = monthRange(selected.year, selected.month, s.timezone);
    const records = await listCallRecords(deps.pool, { subscriberId: s.id, from, to, limit: 200 });
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('portal/usage', {
      title: 'Usage', portalNav: portalNav('/portal/usage', csrfToken(ctx)), subscriber: s,
      current: statementView(statements.find((x) => x.month === current)!, deps.currency),
      past: statements.filter((x) => x.month !== current).map((x) => statementView(x, deps.currency)),
      selectedMonth: monthKey(selected),
      // in the subscriber's zone, like its months and its request list
      records: records.map((r) => ({ ...r, charge: formatCents(r.chargeCents), started: DateTime.fromJSDate(r.startedAt, { zone: s.timezone }).toFormat('yyyy-LL-dd HH:mm:ss') })),
    });
  });

  router.get('/portal/usage/statements.csv', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="beckon-statements-${s.slug}.csv"`);
    ctx.body = statementsCsv(await statementsFor(deps.pool, s), deps.currency);
  });

  router.get('/portal/usage/calls.csv', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    const m = month(ctx.query.month, s.timezone);
    const { from, to } = monthRange(m.year, m.month, s.timezone);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="beckon-calls-${s.slug}-${monthKey(m)}.csv"`);
    ctx.body = recordsCsv(await listCallRecords(deps.pool, { subscriberId: s.id, from, to }), deps.currency);
  });

  router.get('/portal/usage/:month', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    const m = month(ctx.params.month, s.timezone);
    ctx.type = 'html';
    ctx.body = deps.render('portal/usage-statement', { title: `Statement ${monthKey(m)}`, portalNav: portalNav('/portal/usage', csrfToken(ctx)), subscriber: s, statement: statementView(await statementFor(deps.pool, s, m), deps.currency) });
  });
  return router;
}
