import { createResetLink, RESET_TTL_SEC } from '../auth/password-reset.service.ts';
import type { Subscriber } from '../subscribers/subscriber.types.ts';
import Router from 'koa-router';
import type { Redis } from 'ioredis';
import type { Pool } from '../platform/db/pool.ts';
import type { OperatorDestinations } from '../policy/destination-policy.ts';
import type { Logger } from '../platform/logger.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { createLoginLimiter } from '../auth/login-limiter.ts';
import { safeNext } from '../auth/require-role.ts';
import { redirectWithFlash, startSession } from '../auth/session.ts';
import { requireOperator } from './operator-session.ts';
import { renderAdminPage } from './admin-page.ts';
import { AppError, BadRequestError, NotFoundError, SubscriberNotFoundError } from '../platform/errors.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { findSubscriberById } from '../subscribers/subscriber.repository.ts';
import { CDR_TOLERANCE_SEC, compareWithCdr } from '../accounting/cdr-comparison.ts';
import { deleteRate, insertPlan, listCallRecords, listPlans, listRates, planForSubscriber, setSubscriberPlan, upsertRate } from '../accounting/accounting.repository.ts';
import { formatCents, formatMicros } from '../accounting/rating.ts';
import { BadMonthError, monthKey, monthOf, monthRange, parseMonthKey } from '../accounting/statement.ts';
import { recordsCsv, statementFor, statementsCsv, statementsFor } from '../accounting/statement.service.ts';
import { statementView } from '../accounting/portal-usage.routes.ts';
import { createOperatorAuth } from './operator-auth.service.ts';
import { isUuid, parsePlanForm, parseRateForm } from './admin-forms.ts';
import { searchSubscribers, subscriberHosts } from './subscriber-admin.repository.ts';
import { setSubscriberStatus } from '../subscribers/subscriber.repository.ts';
import { systemStatus } from './system-status.service.ts';
import { AriHttp, type AriEndpoint } from '../telephony/ari-http.ts';
import { boundedRange, parseDay } from '../platform/validation/dates.ts';
import { phoneOverrideView } from './phone-override.ts';

export interface AdminDeps {
  pool: Pool; redis: Redis; queue: CallbackQueue; subscribers: SubscriberCache; render: Render; log: Logger;
  prefix: string; currency: string; adminEmail?: string; adminPassword?: string;
  ari: AriEndpoint; trunkEndpoint: string;
  /** The destinations this installation rings (config), shown on the health page. */
  destinations: OperatorDestinations;
  /** read per request (tests settle the port after listening): links handed to subscribers start with it */
  publicUrl: () => string;
  /**
   * A subscriber was suspended: what other features do about it (its own agents' softphones are withdrawn; their
   * sessions end by their own check). A failure there is logged and leaves the suspension in place.
   */
  suspended?: (subscriberId: string) => Promise<void>;
}

const unknownPlan = () => new BadRequestError('bad_plan', 'Unknown plan.');

type Body = Record<string, unknown>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;

function page(ctx: AppContext, deps: AdminDeps, view: string, data: Record<string, unknown>): void {
  renderAdminPage(ctx, deps.render, view, data);
}

const back = redirectWithFlash;


/** /admin/login and /admin/logout: the operator's own login, separate from subscribers' and agents'. */
export function adminAuthRoutes(deps: AdminDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  const auth = createOperatorAuth({ pool: deps.pool, log: deps.log, adminEmail: deps.adminEmail, adminPassword: deps.adminPassword });
  const limiter = createLoginLimiter(deps.redis, deps.prefix, 'admin');
  router.use(verifyCsrf());
  const loginPage = (ctx: AppContext, email: string, next: string, error: string | null) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('admin/login', { title: 'Operator login', csrf: csrfToken(ctx), email, next, error });
  };
  router.get('/admin/login', (ctx) => loginPage(ctx, '', safeNext(ctx.query.next, '/admin'), null));
  router.post('/admin/login', async (ctx) => {
    const body = bodyOf(ctx);
    const email = typeof body.email === 'string' ? body.email.trim().slice(0, 200) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 200) : '';
    const next = safeNext(body.next, '/admin');
    try {
      await limiter.check(ctx.ip, email || '-');
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      loginPage(ctx, email, next, err.message);
      ctx.status = 429;
      return;
    }
    const op = email && password ? await auth.verify(email, password) : null;
    if (!op) {
      await limiter.failed(ctx.ip, email || '-');
      loginPage(ctx, email, next, 'Wrong email or password.');
      ctx.status = 401;
      return;
    }
    await limiter.succeeded(ctx.ip, email);
    // A fresh session id at login (an id planted before it is worth nothing after), keeping the operator's session
    // generation: a new password ends the session.
    await startSession(ctx, { role: 'operator', id: op.id, name: op.name, gen: op.sessionGeneration });
    deps.log.info({ operator: op.email, ip: ctx.ip }, 'operator logged in');
    ctx.status = 303;
    ctx.redirect(next.startsWith('/admin') ? next : '/admin');
  });
  router.post('/admin/logout', (ctx) => {
    (ctx as unknown as { session: unknown }).session = null;
    ctx.status = 303;
    ctx.redirect('/admin/login');
  });
  return router;
}

/** The console itself: every route here needs an operator session. */
export function adminRoutes(deps: AdminDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.use(requireOperator(deps.pool));
  const ari = new AriHttp(deps.ari);
  router.use(verifyCsrf());

  router.get('/admin', async (ctx) => {
    const status = await systemStatus({
      pool: deps.pool, redis: deps.redis, queue: deps.queue, prefix: deps.prefix,
      ari, trunkEndpoint: deps.trunkEndpoint,
    });
    page(ctx, deps, 'admin/dashboard', {
      title: 'Health', status,
      destinations: { countries: deps.destinations.countries.join(', '), types: deps.destinations.types.join(', ') },
      queue: Object.entries(status.queue).map(([state, n]) => ({ state, n })),
      workers: status.workers.map((w) => ({ ...w, peerList: Object.entries(w.peers).map(([name, p]) => ({ name, ...p })) })),
      asteriskJson: status.asterisk.info ? JSON.stringify(status.asterisk.info.system ?? status.asterisk.info) : null,
    });
  });

  router.get('/admin/subscribers', async (ctx) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.slice(0, 100) : '';
    const status = ctx.query.status === 'active' || ctx.query.status === 'suspended' ? ctx.query.status : undefined;
    const monthFrom = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
    const rows = await searchSubscribers(deps.pool, { text: q, status, monthFrom });
    page(ctx, deps, 'admin/subscribers', { title: 'Subscribers', q, status, rows: rows.map((r) => ({ ...r, monthCharge: formatCents(r.monthChargeCents) })), currency: deps.currency });
  });

  const loadSubscriber = async (ctx: AppContext) => {
    const id = ctx.params.id;
    const s = isUuid(id) ? await findSubscriberById(deps.pool, id) : null;
    if (!s) throw new SubscriberNotFoundError();
    return s;
  };

  async function subscriberPage(ctx: AppContext, s: Subscriber, extra: Record<string, unknown> = {}) {
    const [statements, plan, plans, hosts, phones] = await Promise.all([
      statementsFor(deps.pool, s), planForSubscriber(deps.pool, s.id), listPlans(deps.pool), subscriberHosts(deps.pool, s.id), phoneOverrideView(deps.pool, s),
    ]);
    page(ctx, deps, 'admin/subscriber', {
      title: s.name, s, hosts, statements: statements.map((x) => statementView(x, deps.currency)), phones: phones.phones, audit: phones.audit,
      plans: plans.map((p) => ({ ...p, selected: p.id === plan?.id, fee: formatCents(p.monthlyFeeCents) })),
      suspended: s.status === 'suspended', ...extra,
    });
  }

  router.get('/admin/subscribers/:id', async (ctx) => subscriberPage(ctx, await loadSubscriber(ctx)));

  for (const [action, status] of [['suspend', 'suspended'], ['resume', 'active']] as const) {
    router.post(`/admin/subscribers/:id/${action}`, async (ctx) => {
      const s = await loadSubscriber(ctx);
      await setSubscriberStatus(deps.pool, s.id, status);
      // This process sees it at once; other web processes within the cache TTL (seconds).
      deps.subscribers.invalidate(s.slug);
      if (status === 'suspended') {
        await deps.suspended?.(s.id).catch((err) => deps.log.warn({ subscriber: s.slug, err: (err as Error).message }, 'after suspension'));
      }
      deps.log.info({ operator: (ctx.state.user as { id: string }).id, subscriber: s.slug, status }, `subscriber ${status}`);
      back(ctx, `/admin/subscribers/${s.id}`, `${s.name} is now ${status}.`);
    });
  }

  // A one-time password reset link for a locked-out owner, shown once to the operator (not stored in clear).
  router.post('/admin/subscribers/:id/reset-link', async (ctx) => {
    const s = await loadSubscriber(ctx);
    const operatorId = (ctx.state.user as { id: string }).id;
    const resetLink = await createResetLink(deps.pool, { subscriberId: s.id, createdBy: `operator:${operatorId}`, publicUrl: deps.publicUrl() });
    deps.log.info({ operator: operatorId, subscriber: s.slug }, 'password reset link made');
    ctx.set('Referrer-Policy', 'no-referrer');
    await subscriberPage(ctx, s, { resetLink, resetHours: RESET_TTL_SEC / 3600 });
  });

  router.post('/admin/subscribers/:id/plan', async (ctx) => {
    const s = await loadSubscriber(ctx);
    const planId = bodyOf(ctx).plan;
    const plans = await listPlans(deps.pool);
    if (!isUuid(planId) || !plans.some((p) => p.id === planId)) throw unknownPlan();
    await setSubscriberPlan(deps.pool, s.id, planId);
    back(ctx, `/admin/subscribers/${s.id}`, 'Plan changed.');
  });

  router.get('/admin/subscribers/:id/statements.csv', async (ctx) => {
    const s = await loadSubscriber(ctx);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="beckon-statements-${s.slug}.csv"`);
    ctx.body = statementsCsv(await statementsFor(deps.pool, s), deps.currency, s.slug);
  });

  router.get('/admin/rates', async (ctx) => {
    const [rates, plans] = await Promise.all([listRates(deps.pool), listPlans(deps.pool)]);
    const planName = new Map(plans.map((p) => [p.id, p.name]));
    page(ctx, deps, 'admin/rates', {
      title: 'Rates', currency: deps.currency,
      rates: rates.map((r) => ({ ...r, plan: r.planId ? planName.get(r.planId) : 'base table', price: formatMicros(r.pricePerMinMicros), minCharge: formatCents(r.minChargeCents), prefixLabel: r.prefix === '' ? '(any)' : `+${r.prefix}` })),
      plans: plans.map((p) => ({ ...p, fee: formatCents(p.monthlyFeeCents) })),
    });
  });

  router.post('/admin/rates', async (ctx) => {
    const parsed = parseRateForm(bodyOf(ctx));
    if (!parsed.ok) return back(ctx, '/admin/rates', `Not saved: ${parsed.error}`);
    if (parsed.value.planId && !(await listPlans(deps.pool)).some((p) => p.id === parsed.value.planId)) {
      throw unknownPlan();
    }
    await upsertRate(deps.pool, parsed.value);
    back(ctx, '/admin/rates', `Rate for ${parsed.value.prefix ? `+${parsed.value.prefix}` : 'any destination'} saved.`);
  });

  router.post('/admin/rates/:id/delete', async (ctx) => {
    if (!isUuid(ctx.params.id)) throw new NotFoundError('not_found', 'No such rate.');
    await deleteRate(deps.pool, ctx.params.id);
    back(ctx, '/admin/rates', 'Rate deleted.');
  });

  router.post('/admin/plans', async (ctx) => {
    const parsed = parsePlanForm(bodyOf(ctx));
    if (!parsed.ok) return back(ctx, '/admin/rates', `Not saved: ${parsed.error}`);
    try {
      await insertPlan(deps.pool, parsed.value);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') return back(ctx, '/admin/rates', 'A plan with that name exists.');
      throw err;
    }
    back(ctx, '/admin/rates', `Plan ${parsed.value.name} created.`);
  });

  const callsQuery = async (ctx: AppContext) => {
    const q = ctx.query;
    const month = typeof q.month === 'string' && q.month ? parseMonthKey(q.month) : null;
    if (q.month && !month) throw new BadMonthError();
    const to = parseDay(q.to, 'UTC', 'to');
    const from = parseDay(q.from, 'UTC', 'from');
    if (from && to) boundedRange(from, to);
    const range = month ? monthRange(month.year, month.month, 'UTC')
      : { from: from?.toJSDate() ?? new Date(Date.now() - 7 * 86400_000), to: to ? to.plus({ days: 1 }).toJSDate() : new Date(Date.now() + 60_000) };
    let subscriberId: string | null = null;
    if (typeof q.subscriber === 'string' && q.subscriber) {
      const entry = await deps.subscribers.get(q.subscriber.slice(0, 63));
      if (!entry) throw new SubscriberNotFoundError();
      subscriberId = entry.subscriber.id;
    }
    return { ...range, subscriberId, subscriber: typeof q.subscriber === 'string' ? q.subscriber : '' };
  };

  router.get('/admin/calls', async (ctx) => {
    const q = await callsQuery(ctx);
    const rows = await listCallRecords(deps.pool, { ...q, limit: 500 });
    page(ctx, deps, 'admin/calls', {
      title: 'Calls', q, fromDay: q.from.toISOString().slice(0, 10), toDay: new Date(q.to.getTime() - 1).toISOString().slice(0, 10),
      rows: rows.map((r) => {
        const check = compareWithCdr(r, { disposition: r.cdrDisposition, billableSec: r.cdrBillableSec });
        const webCall = r.requestKind === 'webcall';
        // a web call's visitor leg called in from the browser: no number to show, the browser is the party
        const to = r.toNumber ?? r.agent ?? (webCall && r.leg === 'visitor' ? 'browser' : null);
        return { ...r, webCall, to, charge: formatCents(r.chargeCents), check, mismatch: check.verdict === 'mismatch' };
      }),
      toleranceSec: CDR_TOLERANCE_SEC,
      csvQuery: new URLSearchParams({ subscriber: q.subscriber, from: q.from.toISOString().slice(0, 10), to: new Date(q.to.getTime() - 1).toISOString().slice(0, 10) }).toString(),
    });
  });

  router.get('/admin/calls.csv', async (ctx) => {
    const q = await callsQuery(ctx);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', 'attachment; filename="beckon-calls.csv"');
    ctx.body = recordsCsv(await listCallRecords(deps.pool, q), deps.currency);
  });

  /** Every subscriber's statement for one month (each in its own time zone): what the operator invoices. */
  router.get('/admin/statements.csv', async (ctx) => {
    const m = typeof ctx.query.month === 'string' ? parseMonthKey(ctx.query.month) : monthOf(new Date(), 'UTC');
    if (!m) throw new BadMonthError();
    const subs = await searchSubscribers(deps.pool, { text: '', monthFrom: new Date(0), limit: 100000 });
    const lines: string[] = [];
    for (const s of subs) {
      const st = await statementFor(deps.pool, { id: s.id, timezone: s.timezone }, m);
      const csv = statementsCsv([st], deps.currency, s.slug);
      lines.push(lines.length ? csv.split('\r\n').slice(1).join('\r\n') : csv);
    }
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="beckon-statements-${monthKey(m)}.csv"`);
    ctx.body = lines.join('') || statementsCsv([], deps.currency, '');
  });
  return router;
}
