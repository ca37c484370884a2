import type { Context } from 'koa';
import Router from 'koa-router';
import { z } from 'zod';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { createLoginLimiter } from '../auth/login-limiter.ts';
import { verifyPassword } from '../auth/password.ts';
import { safeNext } from '../auth/require-role.ts';
import { getSession, startSession, type SessionUser } from '../auth/session.ts';
import { ConflictError, LoginRequiredError, NotFoundError, UnavailableError } from '../platform/errors.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { openEventStream } from '../web/event-stream.ts';
import { signedInStreamSlot, type StreamLimits } from '../web/stream-limits.ts';
import { AgentChannels } from './agent-channels.ts';
import { AgentCallService, type AgentSideParts } from './agent-call.service.ts';
import { consoleSnapshot } from './agent-console.service.ts';
import { agentWasOffered, assignedSubscriberIds, findAgent, findAgentLogin, saveDisposition, setAgentStatus } from './agent.repository.ts';
import { transferTargets } from './transfer-targets.ts';
import { parse } from './agent-form.ts';
import { findRequest } from '../requests/callback.repository.ts';
import { CALL_CONTROLS, DISPOSITIONS, type AgentCommand } from './agent.types.ts';
import { isUuid } from '../platform/validation/ids.ts';
import { redisTarget } from '../platform/redis.ts';
import { AriHttp, ariEndpoint } from '../telephony/ari-http.ts';
import { SoftphoneService, type SessionSoftphone } from './softphone.service.ts';
import { agentDevices } from './softphone.repository.ts';
import { buildSoftphoneBundle } from './softphone-bundle.ts';
import { webcallPageCsp } from '../widget/webcall-csp.ts';
import { requireAgent } from './agent-session.ts';

type Body = Record<string, unknown>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;
const userOf = (ctx: AppContext) => ctx.state.user as SessionUser;

const StatusInput = z.object({ status: z.enum(['available', 'away', 'wrap_up']) });
const CallInput = z.object({ attemptId: z.string().uuid() });
const TransferInput = z.object({ attemptId: z.string().uuid(), target: z.string().uuid({ message: 'Choose an agent to transfer to.' }) });
const SoftphoneInput = z.object({ on: z.boolean() });
const DispositionInput = z.object({ disposition: z.enum(DISPOSITIONS), notes: z.string().max(4000).default('') });

/** The attempt is not (or no longer) reserved for this agent on a worker. */
const notYourCall = () => new ConflictError('no_such_call', 'This call is no longer yours.');
/** No worker took the command: the call's worker is gone or its channel is down. */
const workerUnreachable = () => new UnavailableError('The call could not be reached. Try again.', 'worker_unreachable');

/**
 * The agent console: own login, a page whose live parts are fed by Server-Sent Events (Redis pub/sub from the
 * workers, so any web process can serve any agent), and the actions an agent takes on a call. Calls belong to
 * workers: accept/decline/hang up travel as commands to the worker holding the agent's reservation. Every route
 * behind the login asks whether the agent's session still holds (agent-session.ts); `streams` caps the event
 * streams each agent holds open (shared with the chat desk's).
 */
export function agentConsoleRoutes(c: AgentSideParts, render: Render, streams: StreamLimits): Router<AppState, {}> {
  const { pool, config } = c;
  const router = new Router<AppState, {}>({ prefix: '/agent' });
  const channels = new AgentChannels(c.redis, redisTarget(config), config.REDIS_PREFIX);
  const waker = new AgentCallService({ pool, redis: c.redis, queue: c.queue, bus: c.bus, channels, log: c.log, config, workerId: 'web' });
  const limiter = createLoginLimiter(c.redis, config.REDIS_PREFIX, 'agent');
  // The console's softphone: per-session SIP credentials pushed to Asterisk over ARI (softphone.service.ts).
  const softphones = new SoftphoneService({
    pool, ari: new AriHttp(ariEndpoint(config)), log: c.log, wsUrl: config.WEBCALL_WS_URL, iceServers: config.WEBCALL_ICE_SERVERS,
  });
  // Built once per web process at start, served under its content hash.
  const softphoneBundle = buildSoftphoneBundle();
  softphoneBundle.catch((err) => c.log.error({ err }, 'softphone bundle build failed'));
  // A session that ends takes its softphone with it; a failure there must not keep anyone from logging in or out.
  const withdrawSoftphone = (agentId: string) => softphones.withdraw(agentId).catch((err) => c.log.warn({ agentId, err: (err as Error).message }, 'softphone not withdrawn'));
  router.use(verifyCsrf());

  function loginPage(ctx: AppContext, values: Body, error: string | null) {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = render('agent/login', { title: 'Agent log in', csrf: csrfToken(ctx), values, error, next: safeNext(values.next, ''), forgot: Boolean(config.SMTP_URL) });
  }

  router.get('/login', (ctx) => loginPage(ctx, { next: ctx.query.next }, null));

  router.post('/login', async (ctx) => {
    const body = bodyOf(ctx);
    const login = typeof body.login === 'string' ? body.login.trim().toLowerCase().slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 200) : '';
    await limiter.check(ctx.ip || 'unknown', login || '-');
    const found = login ? await findAgentLogin(pool, login) : null;
    const ok = await verifyPassword(password, found?.passwordHash);
    if (!found || !ok) {
      await limiter.failed(ctx.ip || 'unknown', login || '-');
      ctx.status = 401;
      return loginPage(ctx, { login, next: body.next }, 'Wrong login or password.');
    }
    await limiter.succeeded(ctx.ip || 'unknown', login);
    // Said only to whoever knows the password: the account this agent works for is suspended, and its agents with it.
    if (found.ownerSuspended) {
      ctx.status = 403;
      return loginPage(ctx, { login, next: body.next }, 'The account you answer for is suspended: its agents cannot log in. Ask its owner.');
    }
    // Each session chooses its phone: a new login starts on the desk phone, and a softphone left by another session
    // gets a password nobody holds.
    await withdrawSoftphone(found.agent.id);
    // The session keeps the agent's session generation: disabling the agent or a new password ends it.
    await startSession(ctx, { role: 'agent', id: found.agent.id, name: found.agent.name, gen: found.sessionGeneration });
    ctx.redirect(safeNext(body.next, '/agent'));
  });

  router.post('/logout', async (ctx) => {
    const user = getSession(ctx)?.user;
    // Logging out is going away: no offers for an agent who left.
    if (user?.role === 'agent') {
      await setAgentStatus(pool, user.id, 'away');
      await withdrawSoftphone(user.id);
    }
    (ctx as unknown as { session: unknown }).session = null;
    ctx.redirect('/agent/login');
  });

  const authed = requireAgent(pool);

  router.get('/', authed, async (ctx) => {
    const snapshot = await consoleSnapshot(pool, userOf(ctx).id);
    if (!snapshot) { (ctx as unknown as { session: unknown }).session = null; ctx.redirect('/agent/login'); return; }
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    const softphone = await softphoneBundle.catch(() => null);
    // The console's softphone opens Asterisk's SIP WebSocket, another origin than Beckon's.
    if (softphone) ctx.set('Content-Security-Policy', webcallPageCsp(config.WEBCALL_WS_URL));
    ctx.body = render('agent/console', {
      title: 'Agent console', csrf: csrfToken(ctx), snapshot, dispositions: DISPOSITIONS, softphoneScript: softphone ? `/agent/static/${softphone.file}` : null,
      // Whether this session chose the browser: the console script asks for credentials only then (else 404).
      softphoneActive: Boolean(getSession(ctx)?.softphone),
    });
  });

  router.get('/state', authed, async (ctx) => {
    const snapshot = await consoleSnapshot(pool, userOf(ctx).id);
    if (!snapshot) throw new LoginRequiredError();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = snapshot;
  });

  router.get('/events', authed, async (ctx) => {
    const agentId = userOf(ctx).id;
    const release = signedInStreamSlot(streams, `agent:${agentId}`, ctx.ip || 'unknown');
    const events = openEventStream(ctx as unknown as Context);
    events.onClose(release);
    const unsubscribe = await channels.onAgent(agentId, (e) => events.send(e.type, e));
    events.onClose(unsubscribe);
    events.send('hello', { at: new Date().toISOString() });
    // The queue changes without events to this agent (new requests): a periodic nudge keeps it fresh.
    const tick = setInterval(() => events.send('tick', { at: new Date().toISOString() }), 10000);
    events.onClose(() => clearInterval(tick));
  });

  // "Answer in the browser": on issues this session's SIP credentials (and offers ring the browser), off goes back
  // to the desk phone. The answer carries the credentials for the console script; they are never shown.
  router.post('/softphone', authed, async (ctx) => {
    const { on } = parse(SoftphoneInput, bodyOf(ctx));
    const agentId = userOf(ctx).id;
    const session = getSession(ctx)!;
    ctx.set('Cache-Control', 'no-store');
    if (on) {
      const issued = await softphones.issue(agentId);
      session.softphone = issued.session;
      ctx.body = issued.credentials;
    } else {
      session.softphone = undefined;
      await softphones.withdraw(agentId);
      ctx.body = { on: false };
    }
    void channels.publishToAgent(agentId, { type: 'queue', at: new Date().toISOString() });
  });

  // The softphone script, cached for a year: its name changes with its content.
  router.get('/static/:file', async (ctx) => {
    const bundle = await softphoneBundle;
    if (ctx.params.file !== bundle.file) throw new NotFoundError('not_found', 'No such file.');
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.body = bundle.code;
  });

  // This session's softphone credentials, while it answers in the browser (another login withdrew them: 404).
  router.get('/softphone', authed, async (ctx) => {
    const mine = getSession(ctx)!.softphone as SessionSoftphone | undefined;
    const devices = await agentDevices(pool, userOf(ctx).id);
    ctx.set('Cache-Control', 'no-store');
    if (!mine || devices?.softphone?.toLowerCase() !== `pjsip/${mine.endpoint}`.toLowerCase()) throw new NotFoundError('no_softphone', 'This session answers on the desk phone.');
    ctx.body = softphones.credentials(mine);
  });

  router.post('/status', authed, async (ctx) => {
    const { status } = parse(StatusInput, bodyOf(ctx));
    const agentId = userOf(ctx).id;
    await setAgentStatus(pool, agentId, status, config.AGENT_WRAP_UP_SEC);
    void channels.publishToAgent(agentId, { type: 'status', status, at: new Date().toISOString() });
    if (status === 'available') await waker.wakeWaiting(await assignedSubscriberIds(pool, agentId));
    if (ctx.accepts('html', 'json') === 'html' && !ctx.get('x-requested-with')) return ctx.redirect('/agent');
    ctx.body = { status };
  });

  for (const action of ['accept', 'decline', 'hangup', ...CALL_CONTROLS] as const) {
    router.post(`/call/${action}`, authed, async (ctx) => {
      const { attemptId } = parse(CallInput, bodyOf(ctx));
      const agent = await findAgent(pool, userOf(ctx).id);
      if (!agent || agent.reservedAttempt !== attemptId || !agent.reservedBy || !agent.reservedRequest) throw notYourCall();
      const cmd: AgentCommand = { type: action, agentId: agent.id, attemptId };
      const heard = await channels.sendCommand(agent.reservedBy, cmd);
      if (!heard) throw workerUnreachable();
      ctx.status = 202;
      ctx.body = { ok: true };
    });
  }

  // Transfer: the target must be another agent of the call's subscriber, available now (the worker reserves it), or
  // one of its departments with a verified phone.
  router.post('/call/transfer', authed, async (ctx) => {
    const { attemptId, target } = parse(TransferInput, bodyOf(ctx));
    const agent = await findAgent(pool, userOf(ctx).id);
    if (!agent || agent.reservedAttempt !== attemptId || !agent.reservedBy || !agent.reservedRequest) throw notYourCall();
    const request = await findRequest(pool, agent.reservedRequest);
    const found = (request ? await transferTargets(pool, request.subscriberId, agent.id) : []).find((x) => x.id === target);
    if (!found) throw new ConflictError('target_unavailable', 'That agent or department cannot take the call now.');
    const cmd: AgentCommand = { type: 'transfer', agentId: agent.id, attemptId, target: { kind: found.kind, id: found.id } };
    if (!(await channels.sendCommand(agent.reservedBy, cmd))) throw workerUnreachable();
    ctx.status = 202;
    ctx.body = { ok: true };
  });

  router.post('/requests/:id/disposition', authed, async (ctx) => {
    const input = parse(DispositionInput, bodyOf(ctx));
    const agentId = userOf(ctx).id;
    const requestId = ctx.params.id!;
    if (!isUuid(requestId) || !(await agentWasOffered(pool, agentId, requestId))) {
      throw new NotFoundError('not_found', 'No such call of yours.');
    }
    await saveDisposition(pool, { requestId, agentId, disposition: input.disposition, notes: input.notes });
    if (ctx.accepts('html', 'json') === 'html' && !ctx.get('x-requested-with')) return ctx.redirect('/agent');
    ctx.body = { ok: true };
  });

  return router;
}
