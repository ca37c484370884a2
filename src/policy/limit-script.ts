import type { Redis } from 'ioredis';

/**
 * The accept policy's Redis work for one group of checks as one script call (EVALSHA through ioredis
 * defineCommand): a handful of keys counted or marked in one round trip and one command, where one command
 * per limit cost the web process more CPU in building and parsing commands than the limits themselves.
 *
 * A step is one of:
 * - counter: a fixed-window counter with the semantics of rate-limiter-flexible's RateLimiterRedis.consume
 *   (same key layout, same stored values): the window starts with the first count and the key expires with it;
 *   a count over `points` is refused with the window's remaining time, and the count that first crosses it, when
 *   `blockSec` > 0, sets the key to expire `blockSec` from now instead (the block) and reports that.
 * - visitor: a set of the destinations one visitor asked for, at most `max` within `windowSec` of the first;
 *   a destination already in it is allowed again, a new one beyond `max` is refused and not added.
 * - once: SET NX with an expiry; true the first time.
 * - lock: the same as once, but tried only when no step before it was refused (a refused request does not hold
 *   a lock it would drop right after).
 * A counter may be `guarded`: it counts only when the group's lock is taken (or the group has none). Until then it
 *   is only read: a count that would cross `points` refuses (and, the first time, sets the block) without being
 *   counted. The submissions of a double click that find the lock held, answered with the first's request, then
 *   count nothing; a request that is not stored after all (a duplicate of a waiting one, an opted-out number)
 *   gives its count back (refundSteps). So requests that never ring anybody cannot use up a number's or a
 *   subscriber's limit, and cannot get a number blocked.
 * Every step runs, whatever a step before it answers: within a group all limits count. Every key written carries
 * an expiry.
 */
export type LimitStep =
  | { kind: 'counter'; key: string; points: number; windowSec: number; blockSec: number; guarded?: boolean }
  | { kind: 'visitor'; key: string; member: string; max: number; windowSec: number }
  | { kind: 'once'; key: string; ttlMs: number }
  | { kind: 'lock'; key: string; ttlMs: number };

/** What each step answered, in the order of the steps. */
export type StepResult =
  | { kind: 'counter'; consumed: number; msBeforeNext: number; refused: boolean }
  | { kind: 'visitor'; allowed: boolean }
  | { kind: 'once'; first: boolean }
  | { kind: 'lock'; taken: boolean };

/**
 * KEYS: one per step. ARGV[1]: one letter per step (c counter, g guarded counter, v visitor, o once, l lock); each
 * step's arguments follow in step order: c and g points, window s, block s; v member, max, window s; o and l ttl ms.
 * Returns two integers per step: c count, ms before the window (or block) ends; v 1 allowed / 0 refused;
 * o and l 1 set / 0 already held / -1 not tried.
 */
export const LIMIT_STEPS_LUA = `
local ops, a, out, refused = ARGV[1], 2, {}, false
local lockAt = string.find(ops, 'l', 1, true)
local lockTaken, guarded = lockAt == nil, {}
local function count(k, points, win, block)
  redis.call('SET', k, 0, 'EX', win, 'NX')
  local n = redis.call('INCRBY', k, 1)
  local ttl = redis.call('PTTL', k)
  if ttl == -1 then
    redis.call('EXPIRE', k, win)
    ttl = 1000 * win
  end
  if n > points and block > 0 and n == points + 1 then
    redis.call('SET', k, n, 'EX', block)
    ttl = 1000 * block
  end
  return n, ttl
end
for i = 1, #ops do
  local op, k = string.sub(ops, i, i), KEYS[i]
  if op == 'c' then
    local points, win, block = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    a = a + 3
    local n, ttl = count(k, points, win, block)
    if n > points then refused = true end
    out[#out + 1] = n
    out[#out + 1] = ttl
  elseif op == 'g' then
    local points, win, block = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    a = a + 3
    local cur = tonumber(redis.call('GET', k) or '0')
    local ttl = redis.call('PTTL', k)
    if ttl < 0 then ttl = 1000 * win end
    guarded[#guarded + 1] = { i = i, k = k, points = points, win = win, block = block, cur = cur }
    out[#out + 1] = cur
    out[#out + 1] = ttl
  elseif op == 'v' then
    local member, max, win = ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2]
    a = a + 3
    local ok = 1
    if redis.call('SISMEMBER', k, member) == 0 then
      if redis.call('SCARD', k) >= max then
        ok = 0
        refused = true
      else
        redis.call('SADD', k, member)
        if redis.call('TTL', k) < 0 then redis.call('EXPIRE', k, win) end
      end
    end
    out[#out + 1] = ok
    out[#out + 1] = 0
  else
    local ms = ARGV[a]
    a = a + 1
    local r = -1
    if op == 'o' or not refused then
      if redis.call('SET', k, '1', 'PX', ms, 'NX') then r = 1 else r = 0 end
    end
    if op == 'l' and r == 1 then lockTaken = true end
    out[#out + 1] = r
    out[#out + 1] = 0
  end
end
-- Guarded counters are the lock holder's (or the group's, without a lock): read until here, where they refuse
-- (a refused request then gives the lock back) or, with nothing refused, count. With the lock held by another
-- request (a double click) they neither refuse nor count: that request is answered with the first one's.
if lockTaken then
  local over = false
  for _, g in ipairs(guarded) do
    if g.cur + 1 > g.points then over = true end
  end
  if over then
    refused = true
    if lockAt then
      redis.call('DEL', KEYS[lockAt])
      out[2 * lockAt - 1] = -1
    end
    for _, g in ipairs(guarded) do
      if g.cur + 1 > g.points then
        out[2 * g.i - 1] = g.cur + 1
        if g.block > 0 and g.cur == g.points then
          redis.call('SET', g.k, g.cur + 1, 'EX', g.block)
          out[2 * g.i] = 1000 * g.block
        end
      end
    end
  elseif not refused then
    for _, g in ipairs(guarded) do
      local n, ttl = count(g.k, g.points, g.win, g.block)
      out[2 * g.i - 1] = n
      out[2 * g.i] = ttl
    end
  end
end
return out`;

/** Gives back one count of each key (a guarded counter's request that was not stored); a key gone stays gone. */
export const REFUND_STEPS_LUA = `
for i = 1, #KEYS do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0')
  if n > 0 then redis.call('DECRBY', KEYS[i], 1) end
end
return #KEYS`;

const LETTER = { counter: 'c', visitor: 'v', once: 'o', lock: 'l' } as const;

interface LimitStepsCommand { beckonLimitSteps(...args: (string | number)[]): Promise<number[]> }

/** Defines the script on this connection (once) and returns the function that runs steps through it. */
export function limitSteps(redis: Redis): (steps: LimitStep[]) => Promise<StepResult[]> {
  const r = redis as Redis & LimitStepsCommand;
  if (!r.beckonLimitSteps) redis.defineCommand('beckonLimitSteps', { lua: LIMIT_STEPS_LUA });
  return async (steps) => {
    const keys: string[] = [];
    const args: (string | number)[] = [''];
    for (const s of steps) {
      keys.push(s.key);
      args[0] += s.kind === 'counter' && s.guarded ? 'g' : LETTER[s.kind];
      if (s.kind === 'counter') args.push(s.points, s.windowSec, s.blockSec);
      else if (s.kind === 'visitor') args.push(s.member, s.max, s.windowSec);
      else args.push(s.ttlMs);
    }
    const out = await r.beckonLimitSteps(keys.length, ...keys, ...args);
    return steps.map((s, i): StepResult => {
      const a = Number(out[2 * i]);
      const b = Number(out[2 * i + 1]);
      switch (s.kind) {
        case 'counter': return { kind: 'counter', consumed: a, msBeforeNext: b, refused: a > s.points };
        case 'visitor': return { kind: 'visitor', allowed: a === 1 };
        case 'once': return { kind: 'once', first: a === 1 };
        case 'lock': return { kind: 'lock', taken: a === 1 };
      }
    });
  };
}

interface RefundStepsCommand { beckonRefundSteps(...args: (string | number)[]): Promise<number> }

/** Defines the refund script on this connection (once) and returns the function that gives back one count per key. */
export function refundSteps(redis: Redis): (keys: string[]) => Promise<void> {
  const r = redis as Redis & RefundStepsCommand;
  if (!r.beckonRefundSteps) redis.defineCommand('beckonRefundSteps', { lua: REFUND_STEPS_LUA });
  return async (keys) => { if (keys.length) await r.beckonRefundSteps(keys.length, ...keys); };
}
