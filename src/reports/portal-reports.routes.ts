import Router from 'koa-router';
import type { Pool } from '../platform/db/pool.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';
import { csrfToken } from '../auth/csrf.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { toCsv } from '../platform/csv.ts';
import { reportRange, subscriberReport, type ReportRowView } from './report.service.ts';
import { barChart, rankChart } from './svg-chart.ts';
import { portalNav } from '../web/portal-nav.ts';

const secs = (v: number | null) => (v === null ? '–' : `${v} s`);
const pct = (v: number | null) => (v === null ? '–' : `${v}%`);
const view = (r: ReportRowView) => ({ ...r, median: secs(r.medianAnswerSec), p90: secs(r.p90AnswerSec), answerPct: pct(r.answerRate), connectPct: pct(r.connectRate) });

/** Conversations started in [from, to) and the median seconds to their first answer (the chat feature's, given by the wiring). */
export type ChatStatsPort = (subscriberId: string, from: Date, to: Date) => Promise<{ conversations: number; medianFirstResponseSec: number | null }>;

/** Invitations shown, opened and converted over the report's local days (the invitations feature's, given by the wiring). */
export type InvitationStatsPort = (subscriberId: string, range: { fromDay: string; toDay: string }) => Promise<{ shown: number; opened: number; converted: number }>;

/** /portal/reports: what the call-back button brought in, by day, department, agent, page and channel (call-back or web call); chats; with CSV. */
export function portalReportsRoutes(deps: { pool: Pool; render: Render; chats?: ChatStatsPort; invitations?: InvitationStatsPort }): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.use(requireSubscriber(deps.pool));

  /** The signed-in subscriber's report over the days the query asks for (in its own zone). */
  const reportOf = async (ctx: AppContext) => {
    const s = await currentSubscriber(ctx, deps.pool);
    const range = reportRange(ctx.query, s.timezone);
    return { s, range, rep: await subscriberReport(deps.pool, s.id, s.timezone, range) };
  };

  router.get('/portal/reports', async (ctx) => {
    const { s, range, rep } = await reportOf(ctx);
    const daily = barChart({
      title: 'Requests, answered and connected per day',
      labels: rep.byDay.map((d) => d.key.slice(5)),
      series: [
        { name: 'Requests', color: '#8c959f', values: rep.byDay.map((d) => d.requests) },
        { name: 'Answered', color: '#0b5fff', values: rep.byDay.map((d) => d.answered) },
        { name: 'Connected', color: '#1a7f37', values: rep.byDay.map((d) => d.connected) },
      ],
    });
    const chats = deps.chats ? await deps.chats(s.id, range.from, range.to) : null;
    const invitations = deps.invitations ? await deps.invitations(s.id, range) : null;
    const pages = rankChart({ title: 'Call-backs per page', rows: rep.byPage.slice(0, 15).map((p) => ({ label: p.key, value: p.requests })) });
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('portal/reports', {
      title: 'Reports', portalNav: portalNav('/portal/reports', csrfToken(ctx)), subscriber: s, range, total: view(rep.total),
      byDay: rep.byDay.map(view), byDepartment: rep.byDepartment.map(view), byAgent: rep.byAgent.map(view), byPage: rep.byPage.map(view), byChannel: rep.byChannel.map(view),
      chats: chats && { conversations: chats.conversations, firstResponse: secs(chats.medianFirstResponseSec) },
      invitations,
      dailyChart: daily, pagesChart: pages, csvQuery: `from=${range.fromDay}&to=${range.toDay}`,
    });
  });

  router.get('/portal/reports.csv', async (ctx) => {
    const { s, range, rep } = await reportOf(ctx);
    const rows: unknown[][] = [];
    const add = (dimension: string, list: ReportRowView[]) => {
      for (const r of list) {
        rows.push([dimension, r.key, r.requests, r.answered, r.connected, r.answerRate, r.connectRate, r.medianAnswerSec, r.p90AnswerSec, r.completed, r.failed, r.canceled]);
      }
    };
    add('total', [rep.total]);
    add('day', rep.byDay);
    add('department', rep.byDepartment);
    add('agent', rep.byAgent);
    add('page', rep.byPage);
    add('channel', rep.byChannel);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="beckon-report-${s.slug}-${range.fromDay}-${range.toDay}.csv"`);
    ctx.body = toCsv(['dimension', 'key', 'requests', 'answered', 'connected', 'answer_rate_pct', 'connect_rate_pct', 'median_answer_sec', 'p90_answer_sec', 'completed', 'failed', 'canceled'], rows);
  });
  return router;
}
