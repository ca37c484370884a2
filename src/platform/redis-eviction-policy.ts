import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * Redis must run with `maxmemory-policy noeviction`: with an evicting policy a full Redis silently drops queue
 * jobs (and sessions, limits), and schedule recovery can only put jobs back after its grace period. Checked
 * when web and worker start; a warning, not a refusal (a managed Redis may hide CONFIG, or an operator may
 * know better).
 */
export function evictionWarning(policy: string | null): string | null {
  if (policy === null) return null;
  if (policy === 'noeviction') return null;
  return `Redis maxmemory-policy is ${policy}: when Redis fills up it drops queue jobs, and calls go out late (until schedule recovery puts them back); run Redis with maxmemory-policy noeviction`;
}

/** Reads the policy (null when CONFIG is disabled or renamed, or Redis is down) and logs what it finds. */
export async function checkEvictionPolicy(redis: Redis, log: Logger): Promise<string | null> {
  let policy: string | null = null;
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      t.unref();
      redis.once('ready', () => { clearTimeout(t); resolve(); });
    });
  }
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    policy = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null;
  } catch (err) {
    log.info({ err: (err as Error).message }, 'Redis maxmemory-policy could not be read (CONFIG disabled?); it must be noeviction');
    return null;
  }
  const warning = evictionWarning(policy);
  if (warning) log.warn({ policy }, warning);
  return policy;
}
