import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../platform/redis-keys.ts';
import type { Logger } from '../platform/logger.ts';

/**
 * How often one phone number may be rung, whoever asked: every call placed to a visitor or verification
 * destination (first attempts, retries, scheduled and agent-first calls, verification calls), across all
 * subscribers, counted at dial time right before the originate. The accept-time limits (rate-limits.ts) count
 * requests; this counts calls, so retries and requests spread over many tenants are bounded too.
 *
 * Sliding windows: the times of the calls placed to a number in the longest window are one sorted set in Redis;
 * one Lua script checks every window and records the call only when all have room, so "at most N" holds
 * however many workers dial at once. A refusal records nothing.
 */
export interface CeilingWindow { points: number; seconds: number }

export type CeilingVerdict =
  | { placed: true; ticket: string }
  | { placed: false; window: CeilingWindow; retryAfterMs: number };

export interface CallCeiling {
  /** Records one call to `e164` if every window has room. */
  take(e164: string): Promise<CeilingVerdict>;
  /** A call recorded by `take` that was not placed after all (another worker claimed the attempt, the agent never answered). */
  giveBack(e164: string, ticket: string): Promise<void>;
}

/**
 * The decision, pure: `times` are the ms times of the calls already placed (any order, may include old ones).
 * Null when a call at `now` fits every window, else the first full window and when its oldest call leaves it.
 */
export function ceilingRefusal(times: readonly number[], now: number, windows: readonly CeilingWindow[]): { window: CeilingWindow; retryAfterMs: number } | null {
  for (const w of windows) {
    const span = w.seconds * 1000;
    const inside = times.filter((t) => t > now - span).sort((a, b) => a - b);
    if (inside.length < w.points) continue;
    // The call that must leave the window before there is room (none when the window allows no call at all).
    const leaving = inside[inside.length - w.points];
    return { window: w, retryAfterMs: leaving === undefined ? span : Math.max(1, leaving + span - now) };
  }
  return null;
}

/**
 * `KEYS[1]` the number's call times (member = ticket, score = ms); `ARGV` now, ticket, longest window ms, then
 * points and ms of each window. Returns {0} when recorded, else {window index (1-based), ms until room}.
 */
const TAKE_LUA = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
for i = 4, #ARGV, 2 do
  local points, span = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local n = redis.call('ZCOUNT', KEYS[1], '(' .. (now - span), '+inf')
  if n >= points then
    if points == 0 then return {(i - 2) / 2, span} end
    local leaving = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - span), '+inf', 'WITHSCORES', 'LIMIT', n - points, 1)
    return {(i - 2) / 2, math.max(1, tonumber(leaving[2]) + span - now)}
  end
end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {0}`;

interface TakeCommand { beckonCallCeiling(key: string, now: number, ticket: string, longestMs: number, ...windows: number[]): Promise<number[]> }

export interface CallCeilingOptions {
  prefix: string;
  windows: CeilingWindow[];
  /** Off: every call is placed (the test stack, whose tests ring the same numbers many times). */
  enabled: boolean;
  log: Logger;
}

export function createCallCeiling(redis: Redis, o: CallCeilingOptions): CallCeiling {
  const windows = o.windows;
  const longestMs = Math.max(1000, ...windows.map((w) => w.seconds * 1000));
  const key = redisKeys(o.prefix).callCeiling;
  if (!(redis as Partial<TakeCommand>).beckonCallCeiling) redis.defineCommand('beckonCallCeiling', { numberOfKeys: 1, lua: TAKE_LUA });
  // While Redis is away the same ceiling holds per process: N workers may then ring a number up to N times as
  // often, which is still a ceiling (a worker rarely gets a job without Redis in the first place).
  const local = new Map<string, { times: number[]; tickets: string[] }>();

  function takeLocally(e164: string, now: number, ticket: string): CeilingVerdict {
    const mine = local.get(e164) ?? { times: [], tickets: [] };
    const keep = mine.times.map((t, i) => [t, mine.tickets[i]!] as const).filter(([t]) => t > now - longestMs);
    const refusal = ceilingRefusal(keep.map(([t]) => t), now, windows);
    if (refusal) return { placed: false, ...refusal };
    local.set(e164, { times: [...keep.map(([t]) => t), now], tickets: [...keep.map(([, k]) => k), ticket] });
    return { placed: true, ticket };
  }

  return {
    async take(e164) {
      if (!o.enabled || windows.length === 0) return { placed: true, ticket: '' };
      const now = Date.now();
      const ticket = randomUUID();
      let answer: number[];
      try {
        answer = await (redis as Redis & TakeCommand).beckonCallCeiling(key(e164), now, ticket, longestMs, ...windows.flatMap((w) => [w.points, w.seconds * 1000]));
      } catch (err) {
        o.log.warn({ err: (err as Error).message }, 'call ceiling kept in this process: Redis unavailable');
        return takeLocally(e164, now, ticket);
      }
      if (answer[0] === 0) return { placed: true, ticket };
      return { placed: false, window: windows[answer[0]! - 1]!, retryAfterMs: Number(answer[1]) };
    },
    async giveBack(e164, ticket) {
      if (!ticket) return;
      const mine = local.get(e164);
      const at = mine?.tickets.indexOf(ticket) ?? -1;
      if (mine && at >= 0) { mine.times.splice(at, 1); mine.tickets.splice(at, 1); return; }
      await redis.zrem(key(e164), ticket).catch((err) => o.log.warn({ err: (err as Error).message }, 'call ceiling: could not give a call back'));
    },
  };
}

/** The reason a request or verification shows when its call was not placed. */
export function ceilingReason(w: CeilingWindow): string {
  return `not called: this number was already called ${w.points} times in ${w.seconds % 3600 === 0 ? `${w.seconds / 3600} h` : `${w.seconds} s`}`;
}
