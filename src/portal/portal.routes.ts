import Router from 'koa-router';
import { DateTime } from 'luxon';
import type { Pool } from '../platform/db/pool.ts';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';
import { getSession, redirectWithFlash, takeFlash, type SessionUser } from '../auth/session.ts';
import { cancelRequest } from '../requests/cancel.service.ts';
import { listRequestsForSubscriber } from '../requests/callback.repository.ts';
import { REQUEST_STATUSES, type RequestStatus } from '../requests/callback.types.ts';
import { AppError, CallbackNotFoundError, DepartmentNotFoundError, VerificationNotFoundError, type FieldError } from '../platform/errors.ts';
import type { EventBus } from '../platform/event-bus.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import { WEEKDAYS, hoursFromSettings } from '../schedule/business-hours.ts';
import { parseDomainPattern } from '../subscribers/domain-match.ts';
import {
  deleteDomain, findPasswordHash, findSessionGeneration, insertDepartment, isUuid, listDepartments, listDomains,
  mergeSettings, removeDepartment, setPasswordHash, updateDepartment, updateProfile,
} from '../subscribers/subscriber.repository.ts';
import { LANGUAGES, messagesFromSettings, skinFromSettings, type Skin } from '../subscribers/settings.ts';
import type { Subscriber } from '../subscribers/subscriber.types.ts';
import type { VerificationService } from '../verification/verification.service.ts';
import { addHosts, domainNotFound, verifyDomain } from './domain.service.ts';
import { portalNav } from '../web/portal-nav.ts';
import { agentCoverage } from '../agents/agent.repository.ts';
import { isLive, setupProblems } from '../subscribers/offerable.ts';
import { parseDay } from '../platform/validation/dates.ts';
import { VERIFICATION_PATH, verificationHost, type DomainChecker } from './domain-verification.ts';
import { WAITING_STATUSES } from '../requests/request-lifecycle.ts';
import { requestKindText } from './request-detail.ts';
import {
  countryOptions, parseDepartment, parseHoursForm, parseMessagesForm, parsePasswordChange, parseProfile, parseSkinForm,
  timezoneOptions, type Parsed,
} from './portal-forms.ts';

export interface PortalDeps {
  pool: Pool;
  render: Render;
  /** read per request: the public URL may be settled only after the server is listening (tests, port 0) */
  publicUrl: () => string;
  verification: VerificationService;
  bus: EventBus;
  queue: CallbackQueue;
  /** Called after any change the accept path or the directory caches (phones, departments, domains, settings). */
  changed: (slug: string) => void;
  /** Looks for a pending host's token on its site (domain-verification.ts). */
  checkDomain: DomainChecker;
  /** This server offers calls from the browser (WEBCALL_ENABLED): the widget preview shows "Call now" too. */
  webcalls?: boolean;
}

type Body = Record<string, unknown>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;

export function snippetFor(publicUrl: string, slug: string): string {
  return `<script src="${publicUrl}/widget.js" data-subscriber="${slug}" async></script>`;
}

/**
 * The subscriber portal. Every handler acts on the session's subscriber id only; ids in URLs and forms are
 * looked up within that subscriber, so another account's id is simply "not found".
 */
export function portalRoutes(deps: PortalDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>({ prefix: '/portal' });
  router.use(requireSubscriber(deps.pool));
  router.use(verifyCsrf());

  const me = (ctx: AppContext) => (ctx.state.user as SessionUser).id;

  const current = (ctx: AppContext): Promise<Subscriber> => currentSubscriber(ctx, deps.pool);

  function page(ctx: AppContext, view: string, active: string, data: Record<string, unknown>, errors: FieldError[] = []): void {
    const flash = takeFlash(ctx);
    const csrf = csrfToken(ctx);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render(`portal/${view}`, {
      csrf, flash, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, e.message])), portalNav: portalNav(active, csrf), ...data,
    });
  }

  const done = redirectWithFlash;

  function failed(ctx: AppContext, status = 400): void { ctx.status = status; }

  // ---- overview
  router.get('/', async (ctx) => {
    const s = await current(ctx);
    const [departments, agents] = await Promise.all([listDepartments(deps.pool, s.id), agentCoverage(deps.pool, s.id)]);
    const unverified = departments.filter((d) => d.answeredBy === 'phone' && !d.phoneVerifiedAt);
    page(ctx, 'overview', '/portal', {
      title: 'Your call-back service', subscriber: s, verified: !!s.phoneVerifiedAt, unverified,
      // What visitors will not be offered, and what to do about it (the form, widget and directory leave it out).
      problems: setupProblems(s, departments, agents),
      live: isLive(s, departments, agents),
      suspended: s.status !== 'active', snippet: snippetFor(deps.publicUrl(), s.slug), formUrl: `${deps.publicUrl()}/c/${s.slug}`,
    });
  });

  // ---- profile and password
  function profilePage(ctx: AppContext, s: Subscriber, values: Body, errors: FieldError[] = []) {
    page(ctx, 'profile', '/portal/profile', {
      title: 'Profile', subscriber: s, values, verified: !!s.phoneVerifiedAt,
      countries: countryOptions(String(values.country)), timezones: timezoneOptions(String(values.timezone)),
    }, errors);
  }

  router.get('/profile', async (ctx) => {
    const s = await current(ctx);
    profilePage(ctx, s, { name: s.name, phone: s.phoneE164, country: s.country, timezone: s.timezone });
  });

  router.post('/profile', async (ctx) => {
    const s = await current(ctx);
    const body = bodyOf(ctx);
    const parsed = parseProfile(body);
    if (!parsed.ok) { profilePage(ctx, s, body, parsed.errors); return failed(ctx); }
    await updateProfile(deps.pool, s.id, parsed.value);
    deps.changed(s.slug);
    const reverify = parsed.value.phoneE164 !== s.phoneE164 || parsed.value.country !== s.country;
    done(ctx, '/portal/profile', reverify ? 'Saved. Your phone number needs to be verified (again) before calls go to it.' : 'Saved.');
  });

  router.post('/password', async (ctx) => {
    const s = await current(ctx);
    const parsed = parsePasswordChange(bodyOf(ctx));
    const show = (errors: FieldError[]) => { profilePage(ctx, s, { name: s.name, phone: s.phoneE164, country: s.country, timezone: s.timezone }, errors); failed(ctx); };
    if (!parsed.ok) return show(parsed.errors);
    if (!(await verifyPassword(parsed.value.current, await findPasswordHash(deps.pool, s.id)))) {
      return show([{ field: 'currentPassword', code: 'wrong_password', message: 'Your current password is not right.' }]);
    }
    const gen = await setPasswordHash(deps.pool, s.id, await hashPassword(parsed.value.next));
    // This session goes on; every other session of the account ends.
    getSession(ctx)!.user = { ...(ctx.state.user as SessionUser), gen };
    done(ctx, '/portal/profile', 'Password changed. Other sessions of this account are logged out.');
  });

  // ---- phone verification
  router.post('/verify', async (ctx) => {
    const s = await current(ctx);
    const dep = bodyOf(ctx).department;
    const departmentId = typeof dep === 'string' && dep !== '' ? dep : null;
    try {
      const id = await deps.verification.requestCall(s.id, departmentId, ctx.ip || null);
      ctx.status = 303;
      ctx.redirect(`/portal/verify/${id}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404 || err.status >= 500) throw err;
      done(ctx, departmentId ? '/portal/departments' : '/portal', err.message);
    }
  });

  async function verificationOf(ctx: AppContext) {
    const v = await deps.verification.find(me(ctx), ctx.params.id!);
    if (!v) throw new VerificationNotFoundError();
    return v;
  }

  router.get('/verify/:id', async (ctx) => {
    const v = await verificationOf(ctx);
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = { callStatus: v.callStatus, verified: !!v.verifiedAt };
      return;
    }
    page(ctx, 'verify', '/portal', { title: 'Verify your phone', v, phone: v.phoneE164, verified: !!v.verifiedAt });
  });

  router.post('/verify/:id', async (ctx) => {
    const v = await verificationOf(ctx);
    const code = String(bodyOf(ctx).code ?? '').slice(0, 20);
    const result = await deps.verification.confirm(me(ctx), v.id, code);
    if (result === 'verified') {
      const s = await current(ctx);
      deps.changed(s.slug);
      return done(ctx, v.departmentId ? '/portal/departments' : '/portal', `${v.phoneE164} is verified.`);
    }
    const message = {
      wrong_code: 'That is not the code we said. Try again.',
      expired: 'This code has expired. Ask for a new call.',
      too_many_tries: 'Too many wrong codes. Ask for a new call.',
      phone_changed: 'The phone number changed meanwhile. Ask for a new call.',
    }[result];
    page(ctx, 'verify', '/portal', { title: 'Verify your phone', v, phone: v.phoneE164, verified: false }, [{ field: 'code', code: result, message }]);
    failed(ctx);
  });

  // ---- domains
  async function domainsPage(ctx: AppContext, values: Body, errors: FieldError[] = []) {
    const domains = (await listDomains(deps.pool, me(ctx))).map((d) => ({
      ...d, verified: d.verifiedAt !== null, proofUrl: `https://${verificationHost(d.host)}${VERIFICATION_PATH}`,
    }));
    page(ctx, 'domains', '/portal/domains', { title: 'Domains', domains, values }, errors);
  }

  router.get('/domains', (ctx) => domainsPage(ctx, {}));

  router.post('/domains', async (ctx) => {
    const s = await current(ctx);
    const raw = String(bodyOf(ctx).host ?? '').slice(0, 300);
    const p = parseDomainPattern(raw);
    if (!p.ok) { await domainsPage(ctx, { host: raw }, [{ field: 'host', code: 'invalid', message: p.message }]); return failed(ctx); }
    try {
      await addHosts(deps.pool, s.id, [p.pattern.host]);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      await domainsPage(ctx, { host: raw }, [{ field: 'host', code: err.code, message: err.message }]);
      return failed(ctx, err.status);
    }
    deps.changed(s.slug);
    done(ctx, '/portal/domains', `${p.pattern.host} added. Prove it is yours to turn the widget on there.`);
  });

  router.post('/domains/:id/verify', async (ctx) => {
    const s = await current(ctx);
    let host: string;
    try {
      host = await verifyDomain(deps.pool, deps.checkDomain, s.id, ctx.params.id!);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
      await domainsPage(ctx, {}, [{ field: 'domain', code: err.code, message: err.message }]);
      return failed(ctx, err.status);
    }
    deps.changed(s.slug);
    done(ctx, '/portal/domains', `${host} verified: the widget now works on its pages.`);
  });

  router.post('/domains/:id/delete', async (ctx) => {
    const s = await current(ctx);
    if (!(await deleteDomain(deps.pool, s.id, ctx.params.id!))) throw domainNotFound();
    deps.changed(s.slug);
    done(ctx, '/portal/domains', 'Domain removed.');
  });

  // ---- departments
  async function departmentsPage(ctx: AppContext, values: Body, errors: FieldError[] = []) {
    const departments = await listDepartments(deps.pool, me(ctx));
    page(ctx, 'departments', '/portal/departments', {
      title: 'Departments', values,
      departments: departments.map((d) => ({ ...d, verified: !!d.phoneVerifiedAt, agents: d.answeredBy === 'agents' })),
    }, errors);
  }

  router.get('/departments', (ctx) => departmentsPage(ctx, { position: 0 }));

  router.post('/departments', async (ctx) => {
    const s = await current(ctx);
    const body = bodyOf(ctx);
    const parsed = parseDepartment(body, s.country);
    if (!parsed.ok) { await departmentsPage(ctx, body, parsed.errors); return failed(ctx); }
    if ((await listDepartments(deps.pool, s.id)).length >= 30) {
      await departmentsPage(ctx, body, [{ field: 'name', code: 'too_many', message: 'At most 30 departments.' }]);
      return failed(ctx);
    }
    try {
      await insertDepartment(deps.pool, { subscriberId: s.id, ...parsed.value, verified: false });
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      await departmentsPage(ctx, body, [{ field: 'name', code: 'name_taken', message: 'You already have a department with this name.' }]);
      return failed(ctx, 409);
    }
    deps.changed(s.slug);
    done(ctx, '/portal/departments', parsed.value.phoneE164 ? `${parsed.value.name} added. Verify its phone to take calls.` : `${parsed.value.name} added.`);
  });

  router.post('/departments/:id', async (ctx) => {
    const s = await current(ctx);
    const id = ctx.params.id!;
    if (!isUuid(id) || !(await listDepartments(deps.pool, s.id)).some((d) => d.id === id)) throw new DepartmentNotFoundError();
    const parsed = parseDepartment(bodyOf(ctx), s.country);
    if (!parsed.ok) { await departmentsPage(ctx, {}, parsed.errors); return failed(ctx); }
    try {
      await updateDepartment(deps.pool, s.id, id, parsed.value);
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      await departmentsPage(ctx, {}, [{ field: 'name', code: 'name_taken', message: 'You already have a department with this name.' }]);
      return failed(ctx, 409);
    }
    deps.changed(s.slug);
    done(ctx, '/portal/departments', `${parsed.value.name} saved.`);
  });

  router.post('/departments/:id/delete', async (ctx) => {
    const s = await current(ctx);
    if (!(await removeDepartment(deps.pool, s.id, ctx.params.id!))) throw new DepartmentNotFoundError();
    deps.changed(s.slug);
    done(ctx, '/portal/departments', 'Department removed.');
  });

  // ---- business hours
  function hoursPage(ctx: AppContext, s: Subscriber, values: Body, errors: FieldError[] = []) {
    const days = WEEKDAYS.map((day) => ({
      day, label: { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' }[day],
      open1: values[`${day}_open1`] ?? '', close1: values[`${day}_close1`] ?? '', open2: values[`${day}_open2`] ?? '', close2: values[`${day}_close2`] ?? '',
    }));
    page(ctx, 'hours', '/portal/hours', { title: 'Business hours', subscriber: s, days, holidays: values.holidays ?? '' }, errors);
  }

  router.get('/hours', async (ctx) => {
    const s = await current(ctx);
    const h = hoursFromSettings(s.settings, s.timezone);
    const values: Body = { holidays: h.holidays.join('\n') };
    for (const day of WEEKDAYS) {
      // a time input cannot show 24:00: midnight at the end of the day reads 00:00 there (parseHoursForm reads it back)
      (h.weekly[day] ?? []).slice(0, 2).forEach((iv, i) => { values[`${day}_open${i + 1}`] = iv.open; values[`${day}_close${i + 1}`] = iv.close === '24:00' ? '00:00' : iv.close; });
    }
    hoursPage(ctx, s, values);
  });

  router.post('/hours', async (ctx) => {
    const s = await current(ctx);
    const body = bodyOf(ctx);
    const parsed = parseHoursForm(body);
    if (!parsed.ok) { hoursPage(ctx, s, body, parsed.errors); return failed(ctx); }
    await mergeSettings(deps.pool, s.id, { hours: parsed.value });
    deps.changed(s.slug);
    done(ctx, '/portal/hours', 'Business hours saved.');
  });

  // ---- greeting and announcement
  router.get('/messages', async (ctx) => {
    const s = await current(ctx);
    page(ctx, 'messages', '/portal/messages', { title: 'Messages', values: messagesFromSettings(s.settings) });
  });

  router.post('/messages', async (ctx) => {
    const s = await current(ctx);
    const body = bodyOf(ctx);
    const parsed = parseMessagesForm(body);
    if (!parsed.ok) { page(ctx, 'messages', '/portal/messages', { title: 'Messages', values: body }, parsed.errors); return failed(ctx); }
    await mergeSettings(deps.pool, s.id, parsed.value);
    deps.changed(s.slug);
    done(ctx, '/portal/messages', 'Messages saved.');
  });

  // ---- widget: skin with live preview, and the snippet
  /**
   * `values` refill the form's inputs (escaped text); the preview's style and src take only values that pass
   * the skin's validation field by field (else the saved ones): a rejected form never puts raw input there.
   */
  const previewSkin = (s: Subscriber, values: Body) => {
    const saved = skinFromSettings(s.settings);
    return skinFromSettings({ skin: { ...saved, ...Object.fromEntries(Object.keys(saved).filter((k) => values[k] !== undefined).map((k) => [k, values[k]])) } });
  };
  const previewSrc = (skin: Skin) => `/portal/widget/preview?${new URLSearchParams(
    Object.entries(skin).map(([k, v]) => [k, v === null ? '' : String(v)])).toString()}`;

  function widgetPage(ctx: AppContext, s: Subscriber, values: Body, errors: FieldError[] = []) {
    const preview = previewSkin(s, values);
    page(ctx, 'widget', '/portal/widget', {
      title: 'Widget', values, preview, previewSrc: previewSrc(preview), snippet: snippetFor(deps.publicUrl(), s.slug),
      languages: LANGUAGES.map((l) => ({ code: l, name: new Intl.DisplayNames([l], { type: 'language' }).of(l) ?? l, selected: l === values.language })),
      left: values.position === 'bottom-left',
    }, errors);
  }

  router.get('/widget', async (ctx) => {
    const s = await current(ctx);
    widgetPage(ctx, s, { ...skinFromSettings(s.settings) });
  });

  /**
   * The live preview's frame: the real widget bundle (through /widget.js) on a page of Beckon's own origin,
   * handed this subscriber's directory with the skin from the query — each field only if it passes the skin's
   * validation, else the saved one — so the owner sees exactly what visitors will (contrast fix included).
   */
  router.get('/widget/preview', async (ctx) => {
    const s = await current(ctx);
    const skin = previewSkin(s, ctx.query as Body);
    const departments = (await listDepartments(deps.pool, s.id)).map((d) => ({ id: d.id, name: d.name }));
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('portal/widget-preview', {
      directory: {
        subscriber: { slug: s.slug, name: s.name, country: s.country, timezone: s.timezone }, departments, skin,
        open: true, nextOpening: null, ready: true, waitEstimateMin: null, webcall: deps.webcalls ?? false,
      },
    }, null);
  });

  router.post('/widget', async (ctx) => {
    const s = await current(ctx);
    const body = bodyOf(ctx);
    const parsed = parseSkinForm(body);
    if (!parsed.ok) { widgetPage(ctx, s, { ...skinFromSettings(s.settings), ...body }, parsed.errors); return failed(ctx); }
    await mergeSettings(deps.pool, s.id, { skin: parsed.value });
    deps.changed(s.slug);
    done(ctx, '/portal/widget', 'Widget look saved.');
  });

  // ---- requests
  router.get('/requests', async (ctx) => {
    const s = await current(ctx);
    const q = ctx.query;
    const status = typeof q.status === 'string' && (REQUEST_STATUSES as readonly string[]).includes(q.status) ? q.status as RequestStatus : undefined;
    const from = parseDay(q.from, s.timezone, 'from');
    const to = parseDay(q.to, s.timezone, 'to');
    const rows = await listRequestsForSubscriber(deps.pool, s.id, {
      status, from: from ? from.toJSDate() : undefined, to: to ? to.plus({ days: 1 }).toJSDate() : undefined, limit: 200,
    });
    page(ctx, 'requests', '/portal/requests', {
      title: 'Requests', timezone: s.timezone,
      requests: rows.map((r) => ({
        ...r, kindText: requestKindText(r.kind), cancelable: WAITING_STATUSES.includes(r.status),
        // the list shows the start of the message; the request page shows all of it
        messageShort: r.message && r.message.length > 120 ? `${r.message.slice(0, 119)}…` : r.message,
        created: DateTime.fromJSDate(r.createdAt, { zone: s.timezone }).toFormat('yyyy-LL-dd HH:mm'),
      })),
      statuses: REQUEST_STATUSES.map((x) => ({ value: x, selected: x === status })),
      from: from ? q.from : '', to: to ? q.to : '',
    });
  });

  router.post('/requests/:id/cancel', async (ctx) => {
    const s = await current(ctx);
    const id = ctx.params.id!;
    if (!isUuid(id)) throw new CallbackNotFoundError();
    try {
      await cancelRequest(deps.pool, deps.bus, id, 'subscriber', s.id, { queue: deps.queue });
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      return done(ctx, '/portal/requests', err.message);
    }
    done(ctx, '/portal/requests', 'Request canceled.');
  });

  return router;
}
