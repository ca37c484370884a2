import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../platform/config.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { AppError, TooManyRequestsError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { sha256Base64url } from '../platform/sha256.ts';
import { limitSteps, refundSteps, type LimitStep, type StepResult } from './limit-script.ts';
import { requesterNetwork } from '../platform/requester-network.ts';

/**
 * Redis-backed limits, shared by every web process. Each group of checks the accept policy makes at one point (a
 * call-back's limits, a refusal's IP count, a web call's checks) is one script call (limit-script.ts): every limit
 * of the group counts and the first refusal in the order of `LimitChecks` is reported.
 *
 * When Redis is down the accept path must keep working (the PostgreSQL outbox exists for that), so no limit
 * may fail closed on the whole service. Each limit falls back as suits what it protects:
 * - per IP, per number, per subscriber/day, form tokens per IP: an in-process RateLimiterMemory with the same
 *   limits. Each web process then enforces them on its own: N processes allow up to N times as much, which is
 *   still a limit, for as long as Redis is away.
 * - distinct numbers per visitor and single use of form tokens: fail open, logged. They are second lines of
 *   defence behind the IP and number limits, and keeping their state in memory per process would refuse
 *   legitimate visitors whose requests land on different processes.
 * - the double-click lock: none (the PostgreSQL open-request check is all there is).
 * RATE_LIMITS_ENABLED=false turns the counted limits and the per-visitor limit off; the lock and the single use
 * of form tokens stay.
 */
export interface RateLimits {
  /**
   * Counts and marks what `checks` names in one Redis call; throws the first refusal (a 429 AppError) in the
   * order of LimitChecks' fields. Resolves with whether the form token was used for the first time (true when
   * none was given) and the lock: its key when this request holds it, false when another request holds it,
   * null when none was asked for or Redis is down.
   */
  check(checks: LimitChecks): Promise<LimitOutcome>;
  /** Form tokens handed to one client IP (hosted form pages and the widget's form-token call). */
  formTokens(ip: string | null): Promise<void>;
  /**
   * Gives back what a checked group counted against its number and its subscriber's day, for a request that was
   * not stored after all (a duplicate of a waiting request, an opted-out number): only stored requests use those
   * limits up. Best effort: without Redis nothing is given back.
   */
  refund(checks: Pick<LimitChecks, 'number' | 'subscriberDay'>): Promise<void>;
}

/** The checks of one group, in the order their refusals are reported. */
export interface LimitChecks {
  /** Per client IP (none without an address). Every request that passed validation counts, refused or not. */
  ip?: string | null;
  /**
   * Per destination number across all subscribers, short then long window; over either, NUMBER_BLOCK_SEC. With a
   * lock in the group it counts only when this request takes the lock (limit-script.ts, guarded counters), as the
   * subscriber's day does.
   */
  number?: string;
  /** A visitor (browser) may ask for a few different destinations; the next new one is refused. */
  visitor?: { key: string; destination: string };
  /** The subscriber's requests today against its own limit. */
  subscriberDay?: { id: string; limit: number };
  /** Marks a form token's nonce used (for its lifetime); not a refusal here: see LimitOutcome.firstUse. */
  token?: { nonce: string; ttlSec: number };
  /** A short lock, taken only when no limit above refuses. */
  lock?: { key: string; ttlMs: number };
}

export interface LimitOutcome { firstUse: boolean; lock: string | null | false }

type Spec = { points: number; seconds: number };

/** A counted limit: its Redis key prefix (the counted id is appended after a colon), window, block and fallback. */
interface Counter { prefix: string; spec: Spec; blockSec: number; memory: RateLimiterMemory }

/** One check of a group, as run: a counted limit with the points it allows, or a step of another kind. */
type Part =
  | { kind: 'counter'; counter: Counter; id: string; points: number; refuse: (ms: number) => AppError; guarded?: boolean }
  | { kind: 'visitor'; key: string; destination: string }
  | { kind: 'once'; key: string; ttlMs: number }
  | { kind: 'lock'; key: string; ttlMs: number };

const tooMany = TooManyRequestsError.after;

export function hashKey(...parts: (string | null | undefined)[]): string {
  return sha256Base64url(parts.map((p) => p ?? '').join('\u0000')).slice(0, 22);
}

function counter(prefix: string, spec: Spec, blockSec = 0): Counter {
  return { prefix, spec, blockSec, memory: new RateLimiterMemory({ keyPrefix: prefix, points: spec.points, duration: spec.seconds, blockDuration: blockSec }) };
}

export function createRateLimits(redis: Redis, config: Config, log: Logger): RateLimits {
  const key = redisKeys(config.REDIS_PREFIX);
  const run = limitSteps(redis);
  const giveBack = refundSteps(redis);
  const ip = counter(key.rateLimit('ip'), config.LIMIT_PER_IP);
  const numberShort = counter(key.rateLimit('num-s'), config.LIMIT_PER_NUMBER_SHORT, config.NUMBER_BLOCK_SEC);
  const numberLong = counter(key.rateLimit('num-l'), config.LIMIT_PER_NUMBER_LONG, config.NUMBER_BLOCK_SEC);
  // Each subscriber has its own limit (the points of its check); the fallback only counts, and never refuses itself.
  const subscriberDay = counter(key.rateLimit('sub-day'), { points: 1e9, seconds: 86_400 });
  const tokens = counter(key.rateLimit('form-tokens'), config.LIMIT_FORM_TOKENS_PER_IP);
  const visitor = config.LIMIT_NUMBERS_PER_VISITOR;
  const enabled = config.RATE_LIMITS_ENABLED;

  const refuseIp = (ms: number) => tooMany('ip_rate_limited', 'Too many call-back requests from your network. Please try again later.', ms);
  const refuseNumber = (ms: number) => tooMany('number_rate_limited', 'This number has asked for too many call-backs. Please try again later.', ms);
  const refuseDay = (ms: number) => tooMany('subscriber_daily_limit', 'This business has received the most call-back requests it takes per day. Please try again tomorrow.', ms);
  const refuseTokens = (ms: number) => tooMany('form_token_rate_limited', 'Too many forms opened from your network. Please try again later.', ms);
  const refuseVisitor = () => tooMany('visitor_rate_limited', 'You have asked for call-backs to too many different numbers. Please try again later.', visitor.seconds * 1000);

  function partsOf(c: LimitChecks): Part[] {
    const parts: Part[] = [];
    if (enabled && c.ip) parts.push({ kind: 'counter', counter: ip, id: requesterNetwork(c.ip), points: ip.spec.points, refuse: refuseIp });
    // With a lock in the group, the number's and the day's counts are the lock holder's: see LimitChecks.number.
    const guarded = !!c.lock;
    if (enabled && c.number) {
      parts.push({ kind: 'counter', counter: numberShort, id: c.number, points: numberShort.spec.points, refuse: refuseNumber, guarded });
      parts.push({ kind: 'counter', counter: numberLong, id: c.number, points: numberLong.spec.points, refuse: refuseNumber, guarded });
    }
    if (enabled && c.visitor) parts.push({ kind: 'visitor', key: key.visitorNumbers(c.visitor.key), destination: c.visitor.destination });
    if (enabled && c.subscriberDay) parts.push({ kind: 'counter', counter: subscriberDay, id: c.subscriberDay.id, points: c.subscriberDay.limit, refuse: refuseDay, guarded });
    if (c.token) parts.push({ kind: 'once', key: key.formTokenUsed(c.token.nonce), ttlMs: c.token.ttlSec * 1000 });
    if (c.lock) parts.push({ kind: 'lock', key: c.lock.key, ttlMs: c.lock.ttlMs });
    return parts;
  }

  const stepOf = (p: Part): LimitStep => p.kind === 'counter'
    ? { kind: 'counter', key: `${p.counter.prefix}:${p.id}`, points: p.points, windowSec: p.counter.spec.seconds, blockSec: p.counter.blockSec, ...(p.guarded ? { guarded: true } : {}) }
    : p.kind === 'visitor'
      ? { kind: 'visitor', key: p.key, member: p.destination, max: visitor.points, windowSec: visitor.seconds }
      : p;

  /** The same parts without Redis: counters in this process's memory, the rest open (see above). */
  async function inMemory(parts: Part[], err: Error): Promise<StepResult[]> {
    if (parts.some((p) => p.kind === 'visitor')) log.warn({ err: err.message }, 'visitor number limit skipped: Redis unavailable');
    if (parts.some((p) => p.kind === 'once')) log.warn({ err: err.message }, 'form token reuse check skipped: Redis unavailable');
    return Promise.all(parts.map(async (p): Promise<StepResult> => {
      switch (p.kind) {
        case 'counter': {
          const [res, limited] = await p.counter.memory.consume(p.id).then(
            (counted) => [counted, false] as const,
            (refused: unknown) => {
              if (refused instanceof RateLimiterRes) return [refused, true] as const;
              throw refused; // a bug, not a limit
            });
          const refused = limited || res.consumedPoints > p.points;
          return { kind: 'counter', consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext, refused };
        }
        case 'visitor': return { kind: 'visitor', allowed: true };
        case 'once': return { kind: 'once', first: true };
        case 'lock': return { kind: 'lock', taken: false };
      }
    }));
  }

  async function perform(parts: Part[]): Promise<{ results: StepResult[]; viaRedis: boolean }> {
    try {
      if (redis.status !== 'ready') throw new Error(`redis ${redis.status}`);
      return { results: await run(parts.map(stepOf)), viaRedis: true };
    } catch (err) {
      return { results: await inMemory(parts, err as Error), viaRedis: false };
    }
  }

  async function check(c: LimitChecks): Promise<LimitOutcome> {
    const parts = partsOf(c);
    if (parts.length === 0) return { firstUse: true, lock: null };
    const { results, viaRedis } = await perform(parts);
    let firstUse = true;
    let lock: string | null | false = null;
    for (const [i, p] of parts.entries()) {
      const r = results[i]!;
      if (p.kind === 'counter' && r.kind === 'counter' && r.refused) throw p.refuse(r.msBeforeNext);
      if (r.kind === 'visitor' && !r.allowed) throw refuseVisitor();
      if (r.kind === 'once') firstUse = r.first;
      // Without Redis there is no lock to hold (null), which is not another request holding it (false).
      if (p.kind === 'lock' && r.kind === 'lock' && viaRedis) lock = r.taken ? p.key : false;
    }
    return { firstUse, lock };
  }

  return {
    check,
    async refund(c) {
      if (!enabled || redis.status !== 'ready') return;
      const keys = [
        ...(c.number ? [`${numberShort.prefix}:${c.number}`, `${numberLong.prefix}:${c.number}`] : []),
        ...(c.subscriberDay ? [`${subscriberDay.prefix}:${c.subscriberDay.id}`] : []),
      ];
      await giveBack(keys).catch((err: Error) => log.warn({ err: err.message }, 'limit refund failed'));
    },
    async formTokens(addr) {
      if (!enabled || !addr) return;
      const parts: Part[] = [{ kind: 'counter', counter: tokens, id: requesterNetwork(addr), points: tokens.spec.points, refuse: refuseTokens }];
      const { results: [r] } = await perform(parts);
      if (r?.kind === 'counter' && r.refused) throw refuseTokens(r.msBeforeNext);
    },
  };
}
