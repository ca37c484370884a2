import type { Redis } from 'ioredis';
import type { Config } from '../platform/config.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { hashKey } from '../policy/rate-limits.ts';
import { AppError, TooManyRequestsError, UnavailableError } from '../platform/errors.ts';
import { requesterNetwork } from '../platform/requester-network.ts';

/**
 * How often phone-verification calls may be asked for, so they cannot be turned against strangers' phones
 * (sign up with someone else's number, press "call me" all night, or sign up many accounts).
 *
 * Every limit is checked and counted by one Lua script in Redis: either all have room and all count the call,
 * or none counts it. So "at most N" holds however many requests arrive at once, from however many web
 * processes. The verification queue lives in the same Redis, so without Redis there is no call to limit: the
 * request gets a 503, never an unlimited call.
 */
export interface VerificationAsk {
  subscriberId: string;
  departmentId: string | null;
  phoneE164: string;
  ip: string | null;
  /** The account is younger than VERIFY_NEW_ACCOUNT_SEC: it also counts against the installation-wide ceiling. */
  newAccount: boolean;
}

export interface VerificationLimits {
  /** Counts one verification call, or throws a 429 naming the limit (nothing counted then). */
  take(ask: VerificationAsk): Promise<void>;
  /**
   * Dial time: at most one verification call in flight per number. True when this call got the number
   * (until `release`, or `ttlMs` as a bound when the worker dies mid-call).
   */
  claimLine(phoneE164: string, callId: string, ttlMs: number): Promise<boolean>;
  releaseLine(phoneE164: string, callId: string): Promise<void>;
}

/** 503 for a verification call that could not be counted or queued: nothing was dialed, asking again is safe. */
export const callNotPlaced = () => new UnavailableError('We could not place the call right now. Please try again in a minute.');

/** A new call to one target (an account's phone, or a department's) only once the previous one had time to ring out. */
const MIN_GAP_SEC = 45;

type Spec = { points: number; seconds: number };

/**
 * `KEYS[1]` the target's gap key, then one counter key per limit; `ARGV[1]` gap seconds, then points and seconds
 * per counter. Returns 0 when counted, -1 when the gap is not over, else the 1-based index of the full counter.
 * Fixed windows starting at a key's first call (INCR + EXPIRE), like the other rate limits.
 */
const TAKE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
for i = 2, #KEYS do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0')
  if n >= tonumber(ARGV[2 * i - 2]) then return i - 1 end
end
for i = 2, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[2 * i - 1]) end
end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return 0`;

/** Deletes the line key only while it still names this call. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface Commands {
  beckonVerifyTake(...args: (string | number)[]): Promise<number>;
  beckonVerifyRelease(key: string, callId: string): Promise<number>;
}

const MESSAGES: Record<string, string> = {
  number: 'This number has had as many verification calls as it may for now. Please try again later.',
  account: 'You have asked for as many verification calls as you may for now. Please try again later.',
  ip: 'Too many verification calls were asked for from your network. Please try again later.',
  new_accounts: 'We are placing as many verification calls for new accounts as we can right now. Please try again later.',
};

export function createVerificationLimits(redis: Redis, config: Config): VerificationLimits {
  const key = redisKeys(config.REDIS_PREFIX);
  const r = redis as Redis & Commands;
  if (!r.beckonVerifyTake) redis.defineCommand('beckonVerifyTake', { lua: TAKE_LUA });
  if (!r.beckonVerifyRelease) redis.defineCommand('beckonVerifyRelease', { numberOfKeys: 1, lua: RELEASE_LUA });

  async function run<T>(what: () => Promise<T>): Promise<T> {
    try {
      return await what();
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw callNotPlaced();
    }
  }

  return {
    async take(ask) {
      const counters: { name: string; key: string; spec: Spec }[] = [
        { name: 'number', key: key.verifyPerNumberHour(ask.phoneE164), spec: config.VERIFY_LIMIT_PER_NUMBER_HOUR },
        { name: 'number', key: key.verifyPerNumberDay(ask.phoneE164), spec: config.VERIFY_LIMIT_PER_NUMBER_DAY },
        { name: 'account', key: key.verifyPerAccount(ask.subscriberId), spec: config.VERIFY_LIMIT_PER_ACCOUNT },
        ...(ask.ip ? [{ name: 'ip', key: key.verifyPerIp(hashKey(requesterNetwork(ask.ip))), spec: config.VERIFY_LIMIT_PER_IP }] : []),
        ...(ask.newAccount ? [{ name: 'new_accounts', key: key.verifyNewAccounts(), spec: config.VERIFY_LIMIT_NEW_ACCOUNTS }] : []),
      ];
      const gapKey = key.verifyGap(ask.subscriberId, ask.departmentId);
      const keys = [gapKey, ...counters.map((c) => c.key)];
      const args = [MIN_GAP_SEC, ...counters.flatMap((c) => [c.spec.points, c.spec.seconds])];
      const result = await run(() => r.beckonVerifyTake(keys.length, ...keys, ...args));
      if (result === 0) return;
      if (result === -1) throw TooManyRequestsError.after('verification_too_soon', 'We have just called. Please wait a minute before asking for another call.', MIN_GAP_SEC * 1000);
      const full = counters[result - 1]!;
      const ttl = await redis.pttl(full.key).catch(() => full.spec.seconds * 1000);
      throw TooManyRequestsError.after('verification_limit', MESSAGES[full.name]!, ttl > 0 ? ttl : full.spec.seconds * 1000);
    },
    async claimLine(phone, callId, ttlMs) {
      return (await redis.set(key.verifyLine(phone), callId, 'PX', Math.max(1000, ttlMs), 'NX')) === 'OK';
    },
    async releaseLine(phone, callId) {
      await r.beckonVerifyRelease(key.verifyLine(phone), callId);
    },
  };
}
