/**
 * Every Redis key and pub/sub channel Beckon uses, built from REDIS_PREFIX in one place, so that installations
 * (and test runs) sharing one Redis never meet and a reader sees the whole key space at once. The strings are
 * part of the stored data: a key renamed here orphans what live Redis holds under the old name.
 *
 * Rate-limiter names (`rateLimit`, `loginFailures`, `attempts`) are rate-limiter-flexible key prefixes: the
 * library appends `:<counted key>` itself.
 */
export type LoginConsole = 'portal' | 'admin' | 'agent';

export function redisKeys(prefix: string) {
  return {
    /** Bull's key prefix for every queue (Bull appends `:<queue>:<...>`). */
    bull: () => `${prefix}:bull`,

    /** Channel of one request's live status events (status stream, widget, consoles). */
    requestEvents: (requestId: string) => `${prefix}:events:request:${requestId}`,
    /** Channel of one agent's console events. */
    agentEvents: (agentId: string) => `${prefix}:events:agent:${agentId}`,
    /** Channel of console commands for the calls one worker holds. */
    agentCommands: (workerId: string) => `${prefix}:agent-cmd:${workerId}`,

    /** Hash of every worker's last heartbeat (field = worker id). */
    workers: () => `${prefix}:workers`,
    /** One web session (the cookie holds only the id). */
    session: (sid: string) => `${prefix}:sess:${sid}`,
    /** Short lock serialising submissions of one number to one subscriber. */
    openRequestLock: (subscriberId: string, e164: string) => `${prefix}:open:${subscriberId}:${e164}`,
    /** At most one agent-wait poll per request and interval. */
    agentWait: (requestId: string) => `${prefix}:agent-wait:${requestId}`,
    /** Sorted set of the calls placed to one number (the call ceiling's sliding windows). */
    callCeiling: (e164: string) => `${prefix}:call-ceiling:${e164}`,

    /** Accept-time limits, per client IP, number (short and long window), subscriber per day, form tokens per IP. */
    rateLimit: (name: 'ip' | 'num-s' | 'num-l' | 'sub-day' | 'form-tokens') => `${prefix}:rl:${name}`,
    /** Set of the numbers one visitor (browser) asked for. */
    visitorNumbers: (visitorKey: string) => `${prefix}:rl:visitor:${visitorKey}`,
    /** Marks a form token nonce used. */
    formTokenUsed: (nonce: string) => `${prefix}:rl:form-token:${nonce}`,

    /** Failed logins on one console, per account and IP together or per IP; the portal's name has no console part. */
    loginFailures: (on: LoginConsole, by: 'acct-ip' | 'ip') => `${prefix}${on === 'portal' ? '' : `:${on}`}:rl:login-fail:${by}`,
    /** Attempts of one kind (sign-ups, reset-link posts, forgotten-password mails), per client IP or per key. */
    attempts: (kind: 'signup' | 'reset' | 'forgot', by: 'ip' | 'acct') => `${prefix}:${kind}:rl:login:${by}`,

    /** Verification calls: counters per number (hour, day), account, hashed IP, and new accounts overall. */
    verifyPerNumberHour: (e164: string) => `${prefix}:verify:num-h:${e164}`,
    verifyPerNumberDay: (e164: string) => `${prefix}:verify:num-d:${e164}`,
    verifyPerAccount: (subscriberId: string) => `${prefix}:verify:acct:${subscriberId}`,
    verifyPerIp: (ipHash: string) => `${prefix}:verify:ip:${ipHash}`,
    verifyNewAccounts: () => `${prefix}:verify:new-accounts`,
    /** The minimum gap between two verification calls of one subscriber and department (`-` = none). */
    verifyGap: (subscriberId: string, departmentId: string | null | undefined) => `${prefix}:verify:gap:${subscriberId}:${departmentId ?? '-'}`,
    /** The verification call holding one phone line. */
    verifyLine: (phone: string) => `${prefix}:verify:line:${phone}`,

    /** Invitation beacons per client IP (a rate-limiter-flexible prefix). */
    invitationBeacons: () => `${prefix}:rl:invite`,

    /** Stream of one chat conversation's changes (a notification; the messages live in PostgreSQL). */
    chatConversation: (conversationId: string) => `${prefix}:chat:conv:${conversationId}`,
    /** Stream of one subscriber's chat changes (new, answered, closed conversations) for consoles and inboxes. */
    chatSubscriber: (subscriberId: string) => `${prefix}:chat:sub:${subscriberId}`,
    /** Fixed-window counters of chat limits: messages per conversation or IP, conversations started per IP. */
    chatLimit: (name: 'conv' | 'ip' | 'start', key: string) => `${prefix}:chat:rl:${name}:${key}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
