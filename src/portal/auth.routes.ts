import Router from 'koa-router';
import type { Redis } from 'ioredis';
import type { Pool } from '../platform/db/pool.ts';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { createAttemptLimiter, createLoginLimiter } from '../auth/login-limiter.ts';
import { verifyPassword } from '../auth/password.ts';
import { safeNext } from '../auth/require-role.ts';
import { getSession, startSession, takeFlash, type SessionUser } from '../auth/session.ts';
import { SUSPENDED_READ_ONLY } from '../auth/subscriber-session.ts';
import { AppError, type FieldError } from '../platform/errors.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { findLoginByEmail, findSubscriberById } from '../subscribers/subscriber.repository.ts';
import { countryOptions, parseNewPassword, parseSignup, timezoneOptions } from './portal-forms.ts';
import { resetLinkIsLive, resetPassword } from '../auth/password-reset.service.ts';
import { signUp } from './signup.service.ts';

export interface AuthRoutesDeps {
  pool: Pool; redis: Redis; prefix: string; render: Render;
  /** Queues a forgotten-password mail to this address (the worker makes the link); unset = no email, no "Forgot password?". */
  passwordMail?: ((email: string) => Promise<void>) | null;
}

type Body = Record<string, unknown>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;

/** New session id on every login: a session id planted before login (fixation) is worth nothing after it. */
const logIn = (ctx: AppContext, user: Omit<SessionUser, 'since'>): Promise<void> => startSession(ctx, user);

/** Sign-up, log in and log out for subscribers. */
export function authRoutes(deps: AuthRoutesDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  const loginLimiter = createLoginLimiter(deps.redis, deps.prefix, 'portal');
  // Sign-ups cost a scrypt hash and claim hosts: a few per hour per IP is plenty for real businesses.
  const signupLimiter = createAttemptLimiter(deps.redis, deps.prefix, 'signup', 10);
  const resetLimiter = createAttemptLimiter(deps.redis, deps.prefix, 'reset', 10);
  // Each forgotten-password post mails someone: a few per 15 minutes per client IP and per address.
  const forgotLimiter = createAttemptLimiter(deps.redis, deps.prefix, 'forgot', 5);
  router.use(verifyCsrf());

  function signupPage(ctx: AppContext, values: Body, errors: FieldError[]) {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('auth/signup', {
      title: 'Sign up', csrf: csrfToken(ctx), values, errors,
      fieldErrors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      countries: countryOptions(String(values.country ?? 'US')),
      timezones: timezoneOptions(String(values.timezone ?? 'UTC')),
    });
  }

  function loginPage(ctx: AppContext, values: Body, error: string | null) {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    const flash = takeFlash(ctx);
    ctx.body = deps.render('auth/login', { title: 'Log in', csrf: csrfToken(ctx), values, error, flash, next: safeNext(values.next, ''), forgot: Boolean(deps.passwordMail) });
  }

  router.get('/signup', (ctx) => signupPage(ctx, { country: 'US', timezone: 'UTC' }, []));

  router.post('/signup', async (ctx) => {
    const body = bodyOf(ctx);
    const values = { name: body.name, email: body.email, domains: body.domains, phone: body.phone, country: body.country, timezone: body.timezone };
    const parsed = parseSignup(body);
    if (!parsed.ok) {
      signupPage(ctx, values, parsed.errors);
      ctx.status = 400;
      return;
    }
    try {
      await signupLimiter.consume(ctx.ip, parsed.value.email);
      const s = await signUp(deps.pool, parsed.value);
      await logIn(ctx, { role: 'subscriber', id: s.id, name: s.name, gen: 0 });
      getSession(ctx)!.flash = 'Welcome! Verify your phone number, and prove your domains (Domains page) for the widget to show on them.';
      ctx.status = 303;
      ctx.redirect('/portal');
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      signupPage(ctx, values, err.fields ?? [{ field: 'form', code: err.code, message: err.message }]);
      ctx.status = err.status;
    }
  });

  router.get('/login', (ctx) => loginPage(ctx, { next: ctx.query.next }, null));

  router.post('/login', async (ctx) => {
    const body = bodyOf(ctx);
    const email = typeof body.email === 'string' ? body.email.trim().toLowerCase().slice(0, 254) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 200) : '';
    const values = { email, next: body.next };
    try {
      await loginLimiter.check(ctx.ip, `sub:${email}`);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      loginPage(ctx, values, err.message);
      ctx.status = 429;
      return;
    }
    const account = email ? await findLoginByEmail(deps.pool, email) : null;
    const ok = await verifyPassword(password, account?.passwordHash);
    if (!account || !ok) {
      await loginLimiter.failed(ctx.ip, `sub:${email}`);
      loginPage(ctx, values, 'Wrong email or password.');
      ctx.status = 401;
      return;
    }
    await loginLimiter.succeeded(ctx.ip, `sub:${email}`);
    await logIn(ctx, { role: 'subscriber', id: account.id, name: account.name, gen: account.sessionGeneration });
    // A suspended account may log in and look, read only (src/auth/subscriber-session.ts says why): it is told so.
    if (account.status !== 'active') getSession(ctx)!.flash = SUSPENDED_READ_ONLY;
    ctx.status = 303;
    ctx.redirect(safeNext(body.next, '/portal'));
  });

  // ---- one-time reset links (made by an operator, src/auth/password-reset.service.ts)
  function resetPage(ctx: AppContext, token: string, errors: FieldError[], live = true) {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    // The token is in the path: never let it leak to another site through the Referer header.
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = deps.render('auth/reset', {
      title: 'Set a new password', csrf: csrfToken(ctx), token, live, errors,
      fieldErrors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
    });
  }

  router.get('/reset/:token', async (ctx) => {
    const live = await resetLinkIsLive(deps.pool, ctx.params.token!);
    resetPage(ctx, ctx.params.token!, [], live);
    if (!live) ctx.status = 404;
  });

  router.post('/reset/:token', async (ctx) => {
    const token = ctx.params.token!;
    try {
      // Links are unguessable; the limit only keeps a script from hammering the form.
      await resetLimiter.consume(ctx.ip, token.slice(0, 64));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      resetPage(ctx, token, [{ field: 'form', code: err.code, message: err.message }]);
      ctx.status = 429;
      return;
    }
    const parsed = parseNewPassword(bodyOf(ctx));
    if (!parsed.ok) { resetPage(ctx, token, parsed.errors); ctx.status = 400; return; }
    const done = await resetPassword(deps.pool, token, parsed.value);
    const s = done ? await findSubscriberById(deps.pool, done.subscriberId) : null;
    if (!done || !s) { resetPage(ctx, token, [], false); ctx.status = 404; return; }
    await logIn(ctx, { role: 'subscriber', id: s.id, name: s.name, gen: done.gen });
    getSession(ctx)!.flash = 'Your new password is set. Every other session of this account was logged out.';
    ctx.status = 303;
    ctx.redirect('/portal');
  });

  // ---- forgotten password: a one-time link by email (the operator's reset link, same rules)
  function forgotPage(ctx: AppContext, data: Record<string, unknown>) {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('auth/forgot', { title: 'Forgot password', csrf: csrfToken(ctx), ...data });
  }

  router.get('/forgot', (ctx) => {
    if (!deps.passwordMail) return;
    forgotPage(ctx, {});
  });

  // The answer is the same whether or not an account has the address, and the mail is made by the worker, so
  // neither the words nor the time taken tell a stranger who has an account.
  router.post('/forgot', async (ctx) => {
    if (!deps.passwordMail) return;
    const body = bodyOf(ctx);
    const email = typeof body.email === 'string' ? body.email.trim().toLowerCase().slice(0, 254) : '';
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) { forgotPage(ctx, { values: { email }, error: 'Enter the email address of your account.' }); ctx.status = 400; return; }
    try {
      await forgotLimiter.consume(ctx.ip, email);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      forgotPage(ctx, { values: { email }, error: err.message });
      ctx.status = 429;
      return;
    }
    // Redis refusing the job is an outage, said as such (the same for every address).
    const queued = await deps.passwordMail(email).then(() => true, () => false);
    if (!queued) { forgotPage(ctx, { values: { email }, error: 'No mail can be sent just now. Try again in a few minutes.' }); ctx.status = 503; return; }
    forgotPage(ctx, { sent: true, values: { email } });
  });

  router.post('/logout', async (ctx) => {
    (ctx as unknown as { session: unknown }).session = null;
    ctx.status = 303;
    ctx.redirect('/login');
  });

  return router;
}
