import { hostname, userInfo } from 'node:os';
import { z } from 'zod';

/** A rate limit written "count/seconds", e.g. "10/600" = 10 per 10 minutes. */
const rateSpec = (def: string) => z.string().regex(/^\d+\/\d+$/, 'must be count/seconds, e.g. 10/600').default(def).transform((v) => {
  const [points, seconds] = v.split('/').map(Number);
  return { points: points!, seconds: Math.max(1, seconds!) };
});

/** Number types libphonenumber tells apart (its getType()). */
const NUMBER_TYPES = new Set(['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'VOIP', 'TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL']);

/** A yes/no setting: true, false, 1 or 0. */
const flag = (def: 'true' | 'false') => z.enum(['true', 'false', '1', '0']).default(def).transform((v) => v === 'true' || v === '1');

/** One RTCIceServer as the browser's RTCPeerConnection takes it. */
const iceServers = z.array(z.object({
  urls: z.union([z.string().regex(/^(stun|stuns|turn|turns):/), z.array(z.string().regex(/^(stun|stuns|turn|turns):/)).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional(),
}).strict());

/** JSON.parse that answers undefined for text that is not JSON (the schema then refuses it). */
function safeJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return undefined; }
}

/** The shipped SESSION_SECRET: fine for the demo and tests, refused by `web` and `worker`. */
export const DEFAULT_SESSION_SECRET = 'dev-only-session-secret-change-me';

/**
 * Every setting comes from the environment, is validated once here, and has a documented default.
 * A bad value stops the process with one line naming the variable.
 */
const Env = z.object({
  /** The deployment kind as Node tools read it; Beckon itself behaves the same in every value. */
  NODE_ENV: z.string().default('development'),
  /** TCP port the web process listens on (0 = any free port). */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Address the web process (and a worker's own /metrics) binds to. */
  HOST: z.string().default('0.0.0.0'),
  /** The address visitors and subscribers reach Beckon at (links in mails, widget code); unset = http://localhost:PORT. */
  PUBLIC_URL: z.string().url().optional(),
  /** PostgreSQL connection string; one without a user connects as PGUSER or the login user (withDefaultUser). */
  DATABASE_URL: z.string().default('postgres://localhost:5432/beckon'),
  /**
   * The PostgreSQL connection `beckon migrate` (and demo, start) applies migrations over: a direct one when
   * DATABASE_URL goes through a transaction pooler, since migrations hold a session-level advisory lock. Unset =
   * DATABASE_URL.
   */
  MIGRATION_DATABASE_URL: z.string().optional(),
  /**
   * DATABASE_URL reaches PostgreSQL through a pooler in transaction mode (PgBouncer pool_mode=transaction), which
   * shares one server connection between clients from one transaction to the next: every statement is then sent
   * unnamed (no prepared statement outlives its transaction) and no setting rides on the connection's startup.
   */
  DATABASE_TRANSACTION_POOLING: flag('false'),
  /** Redis for the queue, rate limits, sessions and live events (its password and database number; the host too unless REDIS_SENTINELS is set). */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /**
   * Redis Sentinels, "host:port,host:port": every Redis connection asks them for the current primary of
   * REDIS_SENTINEL_NAME and follows a failover. Unset = REDIS_URL's host is Redis itself.
   */
  REDIS_SENTINELS: z.string().regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'must be host:port,host:port').optional(),
  /** The primary's name the Sentinels monitor (`sentinel monitor <name> ...`). */
  REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster'),
  /** The Sentinels' own password (their requirepass), when they have one; Redis's own password stays in REDIS_URL. */
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  /** Prefix for every Redis key (Bull queues, rate limits, sessions), so several installs/tests share one Redis. */
  REDIS_PREFIX: z.string().default('beckon'),
  /** Asterisk's HTTP server for ARI (REST and the event WebSocket). */
  ARI_URL: z.string().default('http://127.0.0.1:8088'),
  /** ARI user (ari.conf), sent as HTTP basic auth. */
  ARI_USER: z.string().default('beckon'),
  /** ARI_USER's password. */
  ARI_PASSWORD: z.string().default('beckon'),
  /** Stasis application name; each worker registers ARI_APP-WORKER_ID. */
  ARI_APP: z.string().default('beckon'),
  /**
   * The Asterisk node this worker serves (the one ARI_URL and AMI_HOST name). Workers of one node share its calls:
   * the node's own queue (calls that must ring there: an agent whose phone is registered on it, a web call whose
   * browser reached it), the node's inbound web-call app, takeover of a gone worker's calls.
   */
  ASTERISK_NODE: z.string().regex(/^[\w.-]{1,40}$/).default('default'),
  /** Asterisk's manager interface (AMI), read for agents' device states and CDRs. */
  AMI_HOST: z.string().default('127.0.0.1'),
  /** AMI's TCP port. */
  AMI_PORT: z.coerce.number().int().default(5038),
  /** AMI user (manager.conf). */
  AMI_USER: z.string().default('beckon'),
  /** AMI_USER's secret. */
  AMI_SECRET: z.string().default('beckon'),
  /** Dial string of an outside number, `{number}` replaced by its digits (a PJSIP trunk endpoint). */
  TRUNK_ENDPOINT: z.string().default('PJSIP/{number}@carrier').refine((s) => s.includes('{number}'), 'must contain {number}'),
  /**
   * Keys sessions, form tokens, opt-out links and verification-code hashes. The default is for the demo and
   * tests only: `web`, `worker` and `start` refuse to start with it or with one shorter than 32 characters
   * (weakSessionSecret below); make one with `openssl rand -hex 32`.
   */
  SESSION_SECRET: z.string().default(DEFAULT_SESSION_SECRET),
  /**
   * Reverse proxies in front of Beckon whose X-Forwarded-For/-Proto are trusted: a count of hops (`1` = one
   * proxy such as nginx; `true` = 1, `false` = 0). The client address is the entry that many places from the
   * right of X-Forwarded-For (what the client wrote itself is ignored), and must be an IP address, else the
   * socket's address is used (src/web/middleware/client-ip.ts).
   */
  TRUST_PROXY: z.string().regex(/^(true|false|\d{1,2})$/, 'must be false, true or a number of proxy hops').default('false')
    .transform((v) => (v === 'true' ? 1 : v === 'false' ? 0 : Number(v))),
  /** pino level: trace, debug, info, warn, error, fatal. */
  LOG_LEVEL: z.string().default('info'),
  /** Seconds a leg may ring before Asterisk gives up (originate timeout). */
  RING_TIMEOUT: z.coerce.number().int().min(5).max(120).default(30),
  /** Queue jobs one worker processes at once from each of its queues (the shared one, its node's); a call, once started, is event driven and does not hold a job. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).default(50),
  /** Milliseconds between outbox relay passes (requests stored without a queue job: accepted while Redis was down, retries being queued). */
  OUTBOX_INTERVAL_MS: z.coerce.number().int().min(50).default(2000),
  /** Milliseconds to wait for the confirm key after the prompt has played ("a person, not a voicemail"). */
  CONFIRM_WAIT_MS: z.coerce.number().int().min(100).default(6000),
  /** Key a visitor presses during the greeting to never be called again (empty = no opt-out by key). */
  OPT_OUT_KEY: z.string().regex(/^[0-9*#]?$/).default('9'),
  /**
   * Played to the visitor on answer, asking for the confirm key ("a person, not a voicemail"). Prompts are ARI
   * media URIs, comma separated; the defaults use Asterisk's core English sounds so a stock Asterisk plays
   * something sensible; record your own (e.g. sound:beckon/confirm) and set these.
   */
  PROMPT_CONFIRM: z.string().default('sound:hello-world,sound:vm-press,digits:1'),
  /** Played to the visitor on answer when no key press is asked for, before the music while the subscriber's phone rings. */
  PROMPT_ANNOUNCE: z.string().default('sound:pls-hold-while-try'),
  /**
   * Worker identity: names its Stasis app (ARI_APP-WORKER_ID) and its in-flight attempts. Stable across restarts.
   * `inbound` is refused: ARI_APP-inbound is the app every worker shares for web calls entering from the browser.
   */
  WORKER_ID: z.string().regex(/^[\w.-]{1,40}$/).refine((id) => id !== 'inbound', 'WORKER_ID "inbound" names the shared web-call app').default(hostname().replace(/[^\w.-]/g, '').slice(0, 40) || 'worker'),
  /** Longest a bridged call may last before Beckon hangs up (limits what a hijacked call can cost). */
  MAX_CALL_SEC: z.coerce.number().int().min(5).default(3600),
  /** Seconds a stopping worker lets calls in progress finish before hanging them up. */
  SHUTDOWN_GRACE_SEC: z.coerce.number().min(0).default(60),
  /** Music-on-hold class the visitor hears while waiting: the subscriber's phone ringing, an agent's hold. */
  MOH_CLASS: z.string().default('default'),
  // --- Abuse protection and scheduling (src/policy, src/schedule; see README "Abuse protection") ---
  /**
   * Master switch for the rate limits below; the other guards stay on. On by default; the test stack turns it
   * off (every test client is 127.0.0.1 with one user agent) and tests about limits turn it on explicitly.
   */
  RATE_LIMITS_ENABLED: flag('true'),
  /** Call-back requests one client IP may make, as "count/seconds" (counts refused ones too). */
  LIMIT_PER_IP: rateSpec('10/600'),
  /** Requests for one destination number across all subscribers, short window; over it, NUMBER_BLOCK_SEC applies. */
  LIMIT_PER_NUMBER_SHORT: rateSpec('3/600'),
  /** The same, long window. */
  LIMIT_PER_NUMBER_LONG: rateSpec('15/86400'),
  /** How long a number that went over a per-number limit is refused. */
  NUMBER_BLOCK_SEC: z.coerce.number().int().min(0).default(86400),
  /**
   * Ceiling on calls placed to one number (src/policy/call-ceiling.ts): every originate to a visitor or a
   * verification destination (first attempts, retries, verification calls), across all subscribers, checked at
   * dial time. A sliding window, "count/seconds": at most 3 calls in any hour by default. A call over the
   * ceiling is not placed and its request fails with the reason.
   */
  LIMIT_CALLS_PER_NUMBER_HOUR: rateSpec('3/3600'),
  /** The same ceiling's long window: at most 6 calls in any 24 h by default. */
  LIMIT_CALLS_PER_NUMBER_DAY: rateSpec('6/86400'),
  /** Switch for the call ceiling alone (independent of RATE_LIMITS_ENABLED); the test stack turns it off. */
  CALL_CEILING_ENABLED: flag('true'),
  /** Different numbers one visitor (browser) may ask for, "count/seconds": the next new number is refused. */
  LIMIT_NUMBERS_PER_VISITOR: rateSpec('2/3600'),
  /** Requests one subscriber accepts per 24 h (settings.policy.dailyLimit overrides per subscriber). */
  LIMIT_PER_SUBSCRIBER_DAY: z.coerce.number().int().min(1).default(1000),
  /**
   * Server-to-server credential for POST /api/v1/callbacks (`Authorization: Bearer <API_TOKEN>`, at least 32
   * characters): such a request needs no form token. Every other request, whatever `source` it claims, needs
   * one. Unset = no client may skip the form token.
   */
  API_TOKEN: z.string().min(32, 'must be at least 32 characters (openssl rand -hex 32)').optional(),
  /** Form tokens one client IP may be handed (hosted form pages, GET /api/v1/form-token), "count/seconds". */
  LIMIT_FORM_TOKENS_PER_IP: rateSpec('30/600'),
  /** Status event streams (/api/v1/callbacks/:id/events) open at once for one request, per web process. */
  STREAMS_PER_REQUEST: z.coerce.number().int().min(1).default(3),
  /** The same streams open at once from one client IP, per web process. */
  STREAMS_PER_IP: z.coerce.number().int().min(1).default(20),
  /**
   * Event streams one signed-in account (an agent, or a subscriber's owners) may hold open at once, per web process:
   * the agent console's, the chat desk's and the portal inbox's together. A console tab holds up to three.
   */
  STREAMS_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  /** All signed-in accounts' event streams open at once in one web process (each holds a socket and a file descriptor). */
  STREAMS_SIGNED_IN_MAX: z.coerce.number().int().min(1).default(2000),
  /** Secret that signs form tokens and opt-out links; defaults to one derived from SESSION_SECRET. */
  FORM_TOKEN_SECRET: z.string().min(16).optional(),
  /** Seconds a form token stays valid (a visitor may leave the page open a while, then reloads it). */
  FORM_TOKEN_TTL_SEC: z.coerce.number().int().min(60).default(1800),
  /** A form sent sooner than this after its token was issued is a bot (0 = no minimum). */
  FORM_TOKEN_MIN_AGE_MS: z.coerce.number().int().min(0).default(0),
  /**
   * Requests from this machine's loopback address need no form token: a script on the host itself is trusted
   * like a holder of API_TOKEN. Off by default, because behind a reverse proxy on the same machine every visitor
   * would look local unless TRUST_PROXY is set; the demo (which rings only simulated phones) turns it on so
   * scripts on the same machine (curl, black-box checks) can post to it.
   */
  FORM_TOKEN_LOOPBACK_EXEMPT: flag('false'),
  /**
   * Where a claimed host's verification file is fetched, `{host}` replaced (src/portal/domain-verification.ts).
   * Private and loopback addresses are refused unless DOMAIN_VERIFY_ALLOW_PRIVATE (tests, intranet installs).
   */
  DOMAIN_VERIFY_URL: z.string().default('https://{host}/.well-known/beckon-verification.txt').refine((s) => s.includes('{host}'), 'must contain {host}'),
  /** Lets DOMAIN_VERIFY_URL reach private and loopback addresses (tests, intranet installs). */
  DOMAIN_VERIFY_ALLOW_PRIVATE: flag('false'),
  // --- Signed webhooks (src/webhooks; docs/webhooks.md) ---
  /** Lets webhook endpoints be plain-HTTP URLs on this host (the demo and tests); other private addresses stay refused. */
  WEBHOOK_ALLOW_HTTP_LOOPBACK: flag('false'),
  /** Deadline of one webhook delivery (connect, send, answer), in ms. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(10_000),
  /** Wait after a delivery's first failure; each further failure doubles it, up to an hour. */
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
  /** Seconds a delivery is retried before it is given up and the endpoint's next delivery goes. */
  WEBHOOK_RETRY_WINDOW_SEC: z.coerce.number().int().min(1).default(86_400),
  /** Seconds without a successful delivery after which an endpoint is disabled (and its owner told). */
  WEBHOOK_DISABLE_AFTER_SEC: z.coerce.number().int().min(1).default(259_200),
  /** How often the worker turns new request history into webhook events, in ms. */
  WEBHOOK_FEED_INTERVAL_MS: z.coerce.number().int().min(50).default(2000),
  /**
   * Days Asterisk's own CDRs (ami_cdrs, kept to check our records against) are kept; 0 keeps them forever.
   * Beckon's call records (call_records, what statements are built from) are never pruned: billing history is
   * the subscriber's and its retention is a legal question, not a default.
   */
  CDR_RETENTION_DAYS: z.coerce.number().int().min(0).default(90),
  /** Milliseconds between reconciliations of this worker's calls with Asterisk, besides start-up and reconnects (a safety net). */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(300_000),
  /**
   * Seconds a call keeps retrying a failed write of its state (PostgreSQL unreachable, a statement killed) before
   * it is handed to recovery, which rebuilds it from what is stored and from Asterisk (src/calls/session/serial-session.ts).
   * Ending an attempt moves its request the same way; a request left in `dialing`/`connected` after its attempts
   * all ended is settled by the retry policy at the next reconciliation (any worker).
   */
  CALL_WRITE_RETRY_SEC: z.coerce.number().int().min(1).default(30),
  /**
   * Seconds a worker may go without a heartbeat before another worker takes over its calls in flight (ends
   * them and lets the retry policy call again). Longer than a restart: a worker that comes back under the same
   * WORKER_ID re-adopts its own calls, which keeps connected conversations going. 0 = never take over.
   * Heartbeats are written to PostgreSQL (worker_liveness) every quarter of this (at most every 5 s).
   */
  TAKEOVER_AFTER_SEC: z.coerce.number().int().min(0).default(120),
  /** Milliseconds between checks for workers that stopped sending heartbeats. */
  TAKEOVER_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** Milliseconds between schedule-recovery passes (each restores every overdue request whose job Redis lost). */
  SCHEDULE_RECOVERY_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
  /** A request this many ms past its time with no job is considered lost by Redis. */
  SCHEDULE_RECOVERY_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  /** Caller id shown on phone-verification calls (a subscriber's own, still unverified number is never used). */
  VERIFICATION_CALLER_ID: z.string().max(80).default('"Beckon" <0000>'),
  /**
   * Phone-verification calls a subscriber may ask for (src/verification/verification-limits.ts), "count/seconds",
   * checked and counted in one atomic step so concurrent requests cannot slip past them; always on. Per number
   * (across accounts), per account, per client IP, and for all accounts younger than VERIFY_NEW_ACCOUNT_SEC
   * together (an installation-wide ceiling on what mass sign-ups can make ring). Besides these, one account
   * target gets a new call only 45 s after the last, and one number has at most one verification call in flight.
   * This one: per number (across accounts), per hour.
   */
  VERIFY_LIMIT_PER_NUMBER_HOUR: rateSpec('3/3600'),
  /** Verification calls per number (across accounts), per day. */
  VERIFY_LIMIT_PER_NUMBER_DAY: rateSpec('6/86400'),
  /** Verification calls one account may ask for. */
  VERIFY_LIMIT_PER_ACCOUNT: rateSpec('5/3600'),
  /** Verification calls asked for from one client IP. */
  VERIFY_LIMIT_PER_IP: rateSpec('10/3600'),
  /** Verification calls of all accounts younger than VERIFY_NEW_ACCOUNT_SEC together. */
  VERIFY_LIMIT_NEW_ACCOUNTS: rateSpec('30/3600'),
  /** Seconds an account counts as new for VERIFY_LIMIT_NEW_ACCOUNTS. */
  VERIFY_NEW_ACCOUNT_SEC: z.coerce.number().int().min(0).default(86400),
  // --- Destinations the installation dials (src/policy/destination-policy.ts) ---
  /** The installation's own country (ISO 3166 alpha-2): the default of DIAL_ALLOWED_COUNTRIES. */
  INSTALL_COUNTRY: z.string().regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166 alpha-2 code, e.g. US').default('US').transform((v) => v.toUpperCase()),
  /**
   * Countries whose numbers this installation may ring at all (visitors, subscribers' and departments' phones,
   * verification calls), comma separated ISO alpha-2 codes; unset or empty = INSTALL_COUNTRY only. A
   * subscriber's settings.policy.allowedCountries can only narrow it; a subscriber whose own country is not
   * listed gets nothing dialed.
   */
  DIAL_ALLOWED_COUNTRIES: z.string().regex(/^\s*([A-Za-z]{2}(\s*,\s*[A-Za-z]{2})*)?\s*$/, 'must be a comma list of ISO alpha-2 codes, e.g. US,CA').default('')
    .transform((v) => [...new Set(v.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean))]),
  /**
   * Number types this installation may ring (libphonenumber types, comma separated). Premium-rate, shared-cost,
   * toll-free, personal numbers, UAN, pagers and voicemail access are left out on purpose: they cost the
   * operator money or forward to places nobody vetted. VOIP is in: many people's only phone is one.
   */
  DIAL_ALLOWED_TYPES: z.string().default('MOBILE,FIXED_LINE,FIXED_LINE_OR_MOBILE,VOIP')
    .transform((v) => [...new Set(v.split(',').map((t) => t.trim().toUpperCase()).filter(Boolean))])
    .refine((types) => types.length > 0 && types.every((t) => NUMBER_TYPES.has(t)), `must be a comma list of ${[...NUMBER_TYPES].join(', ')}`),
  // --- Accounting, operator area, metrics (src/accounting, src/admin, src/observability) ---
  /** First operator, created (or its password reset) at start when both are set; the demo prints them. */
  ADMIN_EMAIL: z.string().email().optional(),
  /** That operator's password (at least 10 characters). */
  ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  /** Currency code shown on rates, usage and statements (amounts are stored as integers). */
  BILLING_CURRENCY: z.string().regex(/^[A-Z]{3}$/).default('USD'),
  /** When set, `Authorization: Bearer <token>` opens /metrics from any address. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Who may read /metrics without the token: comma list of loopback, private, any, or exact addresses. */
  METRICS_ALLOW: z.string().default('loopback'),
  /** A standalone worker serves its own /metrics here (dial outcomes, reconnects live in the worker); unset = off. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  // --- Live chat: visitors writing to the service center (src/chat) ---
  /** Conversations one agent holds at once; a new conversation goes to the longest-idle available agent below it. */
  CHAT_MAX_PER_AGENT: z.coerce.number().int().min(1).max(50).default(3),
  /** Seconds a visitor's first message waits for an answer before the visitor is offered a call-back and the owner told. */
  CHAT_ANSWER_TIMEOUT_SEC: z.coerce.number().int().min(5).default(120),
  /** Days conversations are kept after their last message; older ones are deleted with their messages. */
  CHAT_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  /** Messages a visitor may send to one conversation per minute. */
  CHAT_MESSAGES_PER_MIN: z.coerce.number().int().min(1).default(20),
  /** Messages one client IP may send per minute, all conversations together. */
  CHAT_MESSAGES_PER_IP_MIN: z.coerce.number().int().min(1).default(60),
  /** Conversations one client IP may start per hour. */
  CHAT_STARTS_PER_IP_HOUR: z.coerce.number().int().min(1).default(10),
  /** Milliseconds between checks for unanswered conversations (and the hourly retention pass's finer clock). */
  CHAT_CHECK_INTERVAL_MS: z.coerce.number().int().min(50).default(5000),
  /** Seconds of wrap-up after each agent call before the next offer (an agent's own setting overrides it). */
  AGENT_WRAP_UP_SEC: z.coerce.number().min(0).max(3600).default(30),
  /** Seconds an agent-first offer waits for Accept in the console before the next agent is tried. */
  AGENT_OFFER_TIMEOUT_SEC: z.coerce.number().positive().max(600).default(20),
  /** Milliseconds between checks for a free agent while a request waits in line. */
  AGENT_WAIT_POLL_MS: z.coerce.number().int().min(50).default(2000),
  /** Seconds until the next try when a request waited too long for an agent and the subscriber chose "reschedule". */
  AGENT_RESCHEDULE_SEC: z.coerce.number().int().min(1).default(900),
  /** What an agent hears while the visitor's phone rings (agent-first), ARI media URIs, comma separated. */
  AGENT_PROGRESS_MEDIA: z.string().default('tone:ring'),
  /**
   * Whisper to the agent before the visitor is connected (customer-first): media naming the subscriber.
   * `{slug}` is replaced by the subscriber's slug. The default plays on a stock Asterisk (core sounds): a beep, then
   * the slug spelled out; record one sound per subscriber (e.g. sound:beckon/whisper-{slug}, shipped with your
   * Asterisk) or set settings.agents.whisper. A media Asterisk lacks fails silently for the agent: the worker logs
   * and counts every failed playback (beckon_playbacks_failed_total).
   */
  AGENT_WHISPER_PROMPT: z.string().default('sound:beep,characters:{slug}'),
  /**
   * The simulator whose phones the demo shows (its base URL; the web calls its /sim control API): `npm start` sets
   * it, which adds the demo phone page (/demo/phones: each simulated phone's calls, what it heard — a verification
   * code read out — and buttons to answer, press keys and hang up) and a banner linking to it. Unset (any real
   * installation, `web` alone) = no such page. Never point it at anything but a simulator.
   */
  DEMO_PHONES_URL: z.string().url().optional(),
  /**
   * Beckon's home page (/) is the demo's stand-in for a subscriber's site: the page of the subscriber whose slug
   * is `demo`, with its widget. `npm start` sets it (and seeds that subscriber). Off (any real installation) = a
   * neutral page naming no subscriber: no account, whatever its name, speaks on Beckon's own home page.
   */
  DEMO_PAGE: flag('false'),
  // --- Web calls: visitors calling from the browser over WebRTC through Asterisk (src/webcalls) ---
  /**
   * Offers "Call now" (POST /api/v1/webcalls) and holds the shared inbound Stasis app (ARI_APP-inbound) in the
   * worker. Off by default: it needs Asterisk's WebSocket transport and the `from-web` context (README "Web
   * calls"); the demo and the test stack turn it on.
   */
  WEBCALL_ENABLED: flag('false'),
  /**
   * The SIP-over-WebSocket address browsers connect to (Asterisk's HTTP server, path /ws, subprotocol `sip`).
   * Unset = derived from ARI_URL: http → ws, https → wss, same host and port, path /ws. Behind a TLS proxy set it
   * to the wss:// address visitors reach.
   */
  WEBCALL_WS_URL: z.string().regex(/^wss?:\/\/[^\s]+$/, 'must be a ws:// or wss:// URL').optional(),
  /**
   * ICE servers handed to the browser with its ticket, a JSON array of RTCIceServer ({"urls": "stun:…"} or
   * {"urls": ["turn:…"], "username": "…", "credential": "…"}). Visitors behind NAT need a TURN server here.
   */
  WEBCALL_ICE_SERVERS: z.string().default('[]').transform((v, ctx) => {
    const parsed = iceServers.safeParse(safeJson(v));
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a JSON array of {urls, username?, credential?}' });
    return z.NEVER;
  }),
  /** Seconds a web-call ticket may be redeemed after it was issued (single use; only its hash is stored). */
  WEBCALL_TICKET_TTL_SEC: z.coerce.number().int().min(5).max(3600).default(60),
  /**
   * What the visitor hears while the business's phone rings, ARI media URIs, comma separated. It is played before
   * the browser's call is answered (early media, 183), so a busy or unanswered callee still refuses the browser
   * with 486 or 480 and the widget can say which.
   */
  WEBCALL_RINGBACK_MEDIA: z.string().default('tone:ring'),
  // --- Notices by email (src/notices; README "Notices by email") ---
  /**
   * The SMTP server notices and password-reset mails go through, as a nodemailer transport URL:
   * smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465. Unset = Beckon sends no
   * email: no notices are decided, the portal's notices page says so, and "Forgot password?" is not offered.
   */
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL').optional(),
  /** The From of every mail Beckon sends. */
  MAIL_FROM: z.string().min(3).default('Beckon <no-reply@localhost>'),
  /** Local hour (0-23, in each subscriber's time zone) from which the daily digest of yesterday is sent. */
  DIGEST_HOUR: z.coerce.number().int().min(0).max(23).default(8),
  /** Multiplies the simulator's scripted delays (sim only). */
  SIM_TIME_SCALE: z.coerce.number().positive().default(1),
  /** Address `beckon sim` listens on (0.0.0.0 when web and workers reach it from other containers). */
  SIM_HOST: z.string().default('127.0.0.1'),
  /** The simulator's ARI port (`beckon sim`). */
  SIM_PORT: z.coerce.number().int().default(8088),
  /** The simulator's AMI port (`beckon sim`). */
  SIM_AMI_PORT: z.coerce.number().int().default(5038),
});

/** The schema of every setting: .env.example and the deploy files are checked against its keys. */
export const configSchema = Env;

export type Config = Omit<z.infer<typeof Env>, 'WEBCALL_WS_URL'> & { publicUrl: string; WEBCALL_WS_URL: string };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${String(issue.path[0])}: ${issue.message}`);
  }
  const c = parsed.data;
  return {
    ...c,
    DIAL_ALLOWED_COUNTRIES: c.DIAL_ALLOWED_COUNTRIES.length ? c.DIAL_ALLOWED_COUNTRIES : [c.INSTALL_COUNTRY],
    DATABASE_URL: withDefaultUser(c.DATABASE_URL, env),
    ...(c.MIGRATION_DATABASE_URL === undefined ? {} : { MIGRATION_DATABASE_URL: withDefaultUser(c.MIGRATION_DATABASE_URL, env) }),
    publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, ''),
    WEBCALL_WS_URL: c.WEBCALL_WS_URL ?? webSocketUrlOf(c.ARI_URL),
  };
}

export class ConfigError extends Error {}

/** Asterisk's SIP-over-WebSocket address on the HTTP server ARI_URL names: http → ws, https → wss, path /ws. Pure. */
export function webSocketUrlOf(ariUrl: string): string {
  const url = new URL(ariUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = '/ws';
  url.search = '';
  url.hash = '';
  return url.toString();
}

/**
 * Why SESSION_SECRET (and FORM_TOKEN_SECRET when set) is not fit for serving real visitors, or null. With the
 * shipped default anyone can forge opt-out links, form tokens and sessions. Pure.
 */
export function weakSessionSecret(config: Pick<Config, 'SESSION_SECRET' | 'FORM_TOKEN_SECRET'>): string | null {
  const howTo = 'make one with `openssl rand -hex 32` and set it in the environment';
  if (config.SESSION_SECRET === DEFAULT_SESSION_SECRET) return `SESSION_SECRET is the shipped development value; ${howTo}`;
  if (config.SESSION_SECRET.length < 32) return `SESSION_SECRET must be at least 32 characters; ${howTo}`;
  if (config.FORM_TOKEN_SECRET !== undefined && config.FORM_TOKEN_SECRET.length < 32) return `FORM_TOKEN_SECRET must be at least 32 characters; ${howTo}`;
  return null;
}

/**
 * pg takes the user name from $USER when the URL has none; some shells and CI runners leave $USER unset,
 * which makes PostgreSQL refuse the startup packet. Fall back to PGUSER, then the OS account name.
 */
export function withDefaultUser(databaseUrl: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = new URL(databaseUrl);
  if (url.username || env.USER) return databaseUrl;
  url.username = env.PGUSER ?? userInfo().username;
  return url.toString();
}
