import { createDomainChecker } from '../portal/domain-verification.ts';
import { join } from 'node:path';
import Koa from 'koa';
import serve from 'koa-static';
import mount from 'koa-mount';
import type { Container } from './container.ts';
import { createAcceptService, type AcceptGuard } from '../requests/accept.service.ts';
import { createRenderer } from '../web/views.ts';
import { agentConsoleRoutes } from '../agents/agent-console.routes.ts';
import { agentAdminRoutes } from '../agents/agent-admin.routes.ts';
import { softphoneWithdrawal } from '../agents/agent-session.ts';
import { ownAgentIds } from '../agents/agent.repository.ts';
import type { AppContext, AppState } from '../web/context.ts';
import { errorHandler } from '../web/middleware/error-handler.ts';
import { requestContext } from '../web/middleware/request-context.ts';
import { clientIp } from '../web/middleware/client-ip.ts';
import { createStreamLimits } from '../web/stream-limits.ts';
import { securityHeaders } from '../web/middleware/security-headers.ts';
import { favicon } from '../web/middleware/favicon.ts';
import { bodyGuard, parseBody, requestLineGuard } from '../web/middleware/input-guard.ts';
import { callbacksApiRoutes } from '../requests/callbacks-api.routes.ts';
import { webcallsApiRoutes } from '../webcalls/webcalls-api.routes.ts';
import { createWebcallOffers } from '../webcalls/webcall-offer.service.ts';
import { hostedFormRoutes } from '../widget/hosted-form.routes.ts';
import { healthRoutes } from '../web/health.routes.ts';
import { ariEndpoint } from '../telephony/ari-http.ts';
import { demoRoutes } from '../demo/demo.routes.ts';
import { homeRoutes } from '../web/home.routes.ts';
import { cancelRoutes } from '../requests/cancel.routes.ts';
import { policyRoutes } from '../policy/policy.routes.ts';
import { createAcceptPolicy, policySecret } from '../policy/accept-policy.ts';
import { createScheduling } from '../schedule/scheduling.service.ts';
import { secureCookiesOnHttps, sessionMiddleware } from '../auth/session.ts';
import { widgetRoutes } from '../widget/widget.routes.ts';
import { buildWidgetBundle } from '../widget/widget-bundle.ts';
import { publicApiCors } from '../widget/cors.ts';
import { webcallPageCsp } from '../widget/webcall-csp.ts';
import { metricsRoutes } from '../observability/metrics.routes.ts';
import { countLiveAttempts } from '../calls/attempt.repository.ts';
import { adminAuthRoutes, adminRoutes, type AdminDeps } from '../admin/admin.routes.ts';
import { adminQueuesMiddleware } from '../admin/bull-board.ts';
import { producerQueue } from '../platform/queue/producer-queue.ts';
import { PACKAGE_ROOT } from '../platform/package-files.ts';
import { phoneOverrideRoutes } from '../admin/phone-override.ts';
import { portalReportsRoutes } from '../reports/portal-reports.routes.ts';
import { portalUsageRoutes } from '../accounting/portal-usage.routes.ts';
import { portalTeamRoutes } from '../portal/team.routes.ts';
import { portalWebhooksRoutes } from '../webhooks/portal-webhooks.routes.ts';
import { createWebhookProducer, WEBHOOK_QUEUE } from '../webhooks/delivery-queue.ts';
import { portalRequestPageRoutes } from '../portal/request-page.routes.ts';
import { DirectoryService } from '../directory/directory.service.ts';
import { WaitEstimates } from '../reports/wait-estimate.ts';
import { directoryRoutes } from '../directory/directory.routes.ts';
import { authRoutes } from '../portal/auth.routes.ts';
import { portalRoutes } from '../portal/portal.routes.ts';
import { portalPreviewRoutes } from '../portal/portal-preview.routes.ts';
import { createVerificationService } from '../verification/verification.service.ts';
import { operatorDestinations } from '../policy/destination-policy.ts';
import { createVerificationProducer, VERIFICATION_QUEUE } from '../verification/verification-queue.ts';
import { createVerificationLimits } from '../verification/verification-limits.ts';
import { demoPhonesRoutes } from '../demo/demo-phones.routes.ts';
import { simPhones } from '../demo/sim-phones.ts';
import { noticeRoutes } from '../notices/notices.routes.ts';
import { agentPasswordRoutes } from '../notices/agent-password.routes.ts';
import { createNoticeProducer, NOTICE_QUEUE } from '../notices/notice-queue.ts';
import { unsubscribeKey } from '../notices/unsubscribe-token.ts';
import { chatWeb } from '../chat/chat.routes.ts';
import { chatStats } from '../chat/chat.repository.ts';
import { invitationRoutes } from '../invitations/invitation.routes.ts';
import { invitationTotals } from '../invitations/invitation.repository.ts';

const PUBLIC_DIR = join(PACKAGE_ROOT, 'public');

/** Extension points other modules plug into when the app is composed (policy guards, extra routers). */
export interface AppExtensions {
  guards?: AcceptGuard[];
}

export function createApp(c: Container, ext: AppExtensions = {}): Koa<AppState> {
  const app = new Koa<AppState>();
  app.proxy = c.config.TRUST_PROXY > 0;
  app.maxIpsCount = c.config.TRUST_PROXY;
  const baseRender = createRenderer();
  // With the simulator in use (the demo), every page carries a banner linking to the demo phones.
  const demoPhones = c.config.DEMO_PHONES_URL;
  const render: typeof baseRender = demoPhones ? (view, data, layout) => baseRender(view, { demoPhones: true, ...data }, layout) : baseRender;
  // Abuse protection and business hours run before anything is written (see src/policy/accept-policy.ts).
  const scheduling = createScheduling();
  const policy = createAcceptPolicy({ pool: c.pool, redis: c.redis, config: c.config, log: c.log, beforeLimits: [{ name: 'business-hours', guard: scheduling.guard }] });
  const accept = createAcceptService({
    pool: c.pool, queue: c.queue, subscribers: c.subscribers, log: c.log, publicUrl: c.config.publicUrl,
    guards: [...policy.guards, ...(ext.guards ?? [])], firstSlot: scheduling.firstSlot, notStored: policy.notStored,
  });

  app.on('error', (err: Error & { code?: string }) => {
    // A client closing an event stream is normal, not an error.
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
    c.log.error({ err }, 'unhandled HTTP error');
  });
  app.use(clientIp(c.config.TRUST_PROXY));
  app.use(requestContext(c.log));
  app.use(errorHandler(render));
  app.use(securityHeaders({ https: () => c.config.publicUrl.startsWith('https:') }));
  // Method, percent-encoding and control characters of the request line, refused once here (input-guard.ts).
  app.use(requestLineGuard());
  app.use(mount('/static', serve(PUBLIC_DIR, { maxage: 3600_000 })));
  app.use(favicon(PUBLIC_DIR));
  // 64 KB is far above any real call-back request and keeps floods of large bodies cheap to refuse.
  app.use(parseBody({ enableTypes: ['json', 'form'], jsonLimit: '64kb', formLimit: '64kb', strict: true }));
  app.use(bodyGuard());
  // After the body parser: a browser's submission is checked against the subscriber it names.
  app.use(publicApiCors({ db: c.pool, subscribers: c.subscribers, publicUrl: c.config.publicUrl }));
  // Sessions are loaded lazily (only when a handler touches ctx.session), so the public API pays nothing for them.
  app.use(secureCookiesOnHttps());
  // The public API (/api/v1/*) never uses the portal's session: browsers call it cross-origin without
  // credentials. Skipping it keeps a stray session cookie from meaning anything there, and saves the accept
  // path the session's load and commit.
  const sessions = sessionMiddleware(app, c.redis, { secret: c.config.SESSION_SECRET, prefix: c.config.REDIS_PREFIX });
  app.use((ctx, next) => (ctx.path.startsWith('/api/v1/') ? next() : sessions(ctx, next)));

  // Built once per web process at start (~50 ms), served from memory under its content hash.
  const widgetBundle = buildWidgetBundle();
  widgetBundle.catch((err) => c.log.error({ err }, 'widget bundle build failed'));
  // Subscriber self-service: directory API, sign-up/login, portal, phone verification calls.
  const waits = new WaitEstimates(c.pool);
  const directory = new DirectoryService(c.pool, c.subscribers, undefined, waits, c.config.WEBCALL_ENABLED);
  const verification = createVerificationService({
    pool: c.pool, queue: createVerificationProducer(c.queue.client, c.config.REDIS_PREFIX), secret: c.config.SESSION_SECRET, log: c.log, destinations: operatorDestinations(c.config),
    limits: createVerificationLimits(c.redis, c.config), newAccountSec: c.config.VERIFY_NEW_ACCOUNT_SEC,
  });
  const subscriberChanged = (slug: string) => { c.subscribers.invalidate(slug); directory.invalidate(); };
  // Signed-in accounts' event streams (agent console, chat desk, portal inbox), capped per account and in all.
  const signedInStreams = createStreamLimits({ perKey: c.config.STREAMS_PER_ACCOUNT, total: c.config.STREAMS_SIGNED_IN_MAX });
  // Whoever ends an agent's sessions (disabling it, a new password, a suspended subscriber) withdraws its softphone.
  const withdrawSoftphone = softphoneWithdrawal({ pool: c.pool, log: c.log, ari: ariEndpoint(c.config) });
  const adminDeps: AdminDeps = {
    pool: c.pool, redis: c.redis, queue: c.queue, subscribers: c.subscribers, render, log: c.log, prefix: c.config.REDIS_PREFIX,
    currency: c.config.BILLING_CURRENCY, adminEmail: c.config.ADMIN_EMAIL, adminPassword: c.config.ADMIN_PASSWORD,
    ari: ariEndpoint(c.config), trunkEndpoint: c.config.TRUNK_ENDPOINT,
    destinations: operatorDestinations(c.config),
    publicUrl: () => c.config.publicUrl,
    // A suspended subscriber's own agents are logged out by their session check; their softphones go with them.
    suspended: async (subscriberId) => { for (const id of await ownAgentIds(c.pool, subscriberId)) await withdrawSoftphone(id); },
  };
  // The operator's queue board: call-backs, and mail notices, webhook deliveries and phone verification calls.
  const otherQueues = [NOTICE_QUEUE, WEBHOOK_QUEUE, VERIFICATION_QUEUE].map((name) => producerQueue(name, c.queue.client, c.config.REDIS_PREFIX));
  app.use(adminQueuesMiddleware(c.pool, c.queue, otherQueues, () => c.config.publicUrl));
  // Mail is queued here and sent by the worker (src/notices); without SMTP_URL nothing is queued.
  const notices = c.config.SMTP_URL ? createNoticeProducer(c.queue.client, c.config.REDIS_PREFIX) : null;
  const webhookKicks = createWebhookProducer(c.queue.client, c.config.REDIS_PREFIX);
  // Live chat (src/chat): visitors' conversations, the agent console's desk and the portal inbox.
  const chat = chatWeb({
    pool: c.pool, redis: c.redis, prefix: c.config.REDIS_PREFIX, log: c.log, config: c.config, accept, subscribers: c.subscribers, render,
    // Owners are told of unanswered chats by the worker's chat upkeep, not here.
    notices: null, kickWebhook: webhookKicks.kick,
    formToken: policy.formToken,
    webcall: c.config.WEBCALL_ENABLED ? async () => ({ chunk: `/widget/${(await widgetBundle).call.file}`, csp: webcallPageCsp(c.config.WEBCALL_WS_URL) }) : undefined,
    formTokens: { secret: policySecret(c.config), ttlSec: c.config.FORM_TOKEN_TTL_SEC, minAgeMs: c.config.FORM_TOKEN_MIN_AGE_MS, loopbackExempt: c.config.FORM_TOKEN_LOOPBACK_EXEMPT },
    signedInStreams,
  });
  const callbacksApi = callbacksApiRoutes({
    pool: c.pool, accept, bus: c.bus, waits, apiToken: c.config.API_TOKEN,
    streams: createStreamLimits({ perKey: c.config.STREAMS_PER_REQUEST, perIp: c.config.STREAMS_PER_IP }),
  });
  const routers = [
    ...chat.routers,
    healthRoutes({ pool: c.pool, queue: c.queue, ari: ariEndpoint(c.config) }),
    callbacksApi,
    webcallsApiRoutes({
      apiToken: c.config.API_TOKEN,
      offers: createWebcallOffers({
        pool: c.pool, subscribers: c.subscribers, log: c.log, publicUrl: () => c.config.publicUrl, enabled: c.config.WEBCALL_ENABLED,
        wsUrl: c.config.WEBCALL_WS_URL, iceServers: c.config.WEBCALL_ICE_SERVERS, ticketTtlSec: c.config.WEBCALL_TICKET_TTL_SEC,
        checks: policy.webcallChecks,
      }),
    }),
    hostedFormRoutes({
      pool: c.pool, accept, subscribers: c.subscribers, render, formToken: policy.formToken, publicUrl: () => c.config.publicUrl,
      webcalls: { enabled: c.config.WEBCALL_ENABLED, wsUrl: c.config.WEBCALL_WS_URL, bundle: widgetBundle },
    }),
    cancelRoutes({ pool: c.pool, bus: c.bus, queue: c.queue }),
    policyRoutes({ pool: c.pool, bus: c.bus, subscribers: c.subscribers, render, secret: policySecret(c.config), formToken: policy.formToken, formTokenTtlSec: policy.formTokenTtlSec }),
    // The demo subscriber's page at / only in the demo: elsewhere a signup named "Demo" would own Beckon's home page.
    c.config.DEMO_PAGE ? demoRoutes({
      subscribers: c.subscribers, render, webcallWsUrl: c.config.WEBCALL_ENABLED ? c.config.WEBCALL_WS_URL : undefined,
      limits: {
        enabled: c.config.RATE_LIMITS_ENABLED, numbersPerVisitor: c.config.LIMIT_NUMBERS_PER_VISITOR,
        callsPerNumber: c.config.CALL_CEILING_ENABLED ? c.config.LIMIT_CALLS_PER_NUMBER_HOUR : null,
      },
    }) : homeRoutes({ render }),
    ...(demoPhones ? [demoPhonesRoutes({ phones: simPhones(demoPhones), render })] : []),
    widgetRoutes({ subscribers: c.subscribers, bundle: widgetBundle }),
    metricsRoutes({ liveCalls: () => countLiveAttempts(c.pool), queue: c.queue, token: c.config.METRICS_TOKEN, allow: c.config.METRICS_ALLOW }),
    directoryRoutes(directory, { publicUrl: () => c.config.publicUrl }),
    authRoutes({ pool: c.pool, redis: c.redis, prefix: c.config.REDIS_PREFIX, render, passwordMail: notices ? (email) => notices.passwordReset(email) : null }),
    ...noticeRoutes({ pool: c.pool, render, emailOn: notices !== null, unsubscribeKey: unsubscribeKey(c.config.SESSION_SECRET) }),
    portalPreviewRoutes({ pool: c.pool, render, publicUrl: () => c.config.publicUrl }),
    ...invitationRoutes({
      pool: c.pool, redis: c.redis, prefix: c.config.REDIS_PREFIX, subscribers: c.subscribers, render, changed: subscriberChanged,
      beaconsPerMinute: c.config.RATE_LIMITS_ENABLED ? 120 : 0,
    }),
    portalRoutes({
      pool: c.pool, render, publicUrl: () => c.config.publicUrl, verification, bus: c.bus, queue: c.queue, changed: subscriberChanged, webcalls: c.config.WEBCALL_ENABLED,
      checkDomain: createDomainChecker({ urlTemplate: c.config.DOMAIN_VERIFY_URL, allowPrivate: c.config.DOMAIN_VERIFY_ALLOW_PRIVATE }),
    }),
    // Call-center agents: the agent console and the operator's agent pages.
    ...(notices ? [agentPasswordRoutes({ pool: c.pool, redis: c.redis, prefix: c.config.REDIS_PREFIX, render, passwordMail: (login) => notices.agentPasswordReset(login), withdrawSoftphone })] : []),
    agentConsoleRoutes(c, render, signedInStreams),
    agentAdminRoutes({ pool: c.pool, render, subscribers: c.subscribers, trunkEndpoint: c.config.TRUNK_ENDPOINT, withdrawSoftphone }),
    // Accounting, reports and the operator console.
    portalReportsRoutes({
      pool: c.pool, render, chats: (id, from, to) => chatStats(c.pool, id, from, to),
      invitations: (id, range) => invitationTotals(c.pool, id, range.fromDay, range.toDay),
    }),
    portalUsageRoutes({ pool: c.pool, render, currency: c.config.BILLING_CURRENCY }),
    portalRequestPageRoutes({ pool: c.pool, render, currency: c.config.BILLING_CURRENCY }),
    portalTeamRoutes({ pool: c.pool, render, changed: subscriberChanged, withdrawSoftphone }),
    portalWebhooksRoutes({
      pool: c.pool, render, allowHttpLoopback: c.config.WEBHOOK_ALLOW_HTTP_LOOPBACK,
      kick: webhookKicks.kick,
    }),
    adminAuthRoutes(adminDeps),
    adminRoutes(adminDeps),
    phoneOverrideRoutes({ pool: c.pool, subscribers: c.subscribers, log: c.log }),
  ];
  // POST /api/v1/callbacks, the busiest route, goes straight to its handler: the routers below would bring it to the
  // same handler at the same point of the chain, after every router ahead of it had matched its paths against it
  // (none of them has one under /api/v1/callbacks). Any other spelling of the path (other case) takes the routers.
  app.use((ctx, next) => (ctx.method === 'POST' && (ctx.path === '/api/v1/callbacks' || ctx.path === '/api/v1/callbacks/') ? callbacksApi.acceptRequest(ctx as AppContext) : next()));
  for (const r of routers) app.use(r.routes()).use(r.allowedMethods());
  return app;
}
