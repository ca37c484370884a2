import { hostname, userInfo } from 'node:os';
import { z } from 'zod';

/**
 * Every setting comes from the environment, is validated once here, and has a documented default.
 * A bad value stops the process with one line naming the variable.
 */
const Env = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.string().url().optional(),
  DATABASE_URL: z.string().default('postgres://localhost:5432/beckon'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Prefix for every Redis key (Bull queues, rate limits, sessions), so several installs/tests share one Redis. */
  REDIS_PREFIX: z.string().default('beckon'),
  ARI_URL: z.string().default('http://127.0.0.1:8088'),
  ARI_USER: z.string().default('beckon'),
  ARI_PASSWORD: z.string().default('beckon'),
  ARI_APP: z.string().default('beckon'),
  AMI_HOST: z.string().default('127.0.0.1'),
  AMI_PORT: z.coerce.number().int().default(5038),
  AMI_USER: z.string().default('beckon'),
  AMI_SECRET: z.string().default('beckon'),
  TRUNK_ENDPOINT: z.string().default('PJSIP/{number}@carrier').refine((s) => s.includes('{number}'), 'must contain {number}'),
  SESSION_SECRET: z.string().default('dev-only-session-secret-change-me'),
  /** Trust X-Forwarded-For/-Proto from a reverse proxy (needed for client IPs and Secure cookies behind one). */
  TRUST_PROXY: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  LOG_LEVEL: z.string().default('info'),
  /** Seconds a leg may ring before Asterisk gives up (originate timeout). */
  RING_TIMEOUT: z.coerce.number().int().min(5).max(120).default(30),
  /** How many jobs one worker starts in parallel; calls themselves are event driven and not bounded by this. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).default(50),
  /** Milliseconds between outbox relay passes (requests accepted while Redis was down). */
  OUTBOX_INTERVAL_MS: z.coerce.number().int().min(50).default(2000),
  /** Milliseconds to wait for the confirm key after the prompt has played ("a person, not a voicemail"). */
  CONFIRM_WAIT_MS: z.coerce.number().int().min(100).default(6000),
  /** Key a visitor presses during the greeting to never be called again (empty = no opt-out by key). */
  OPT_OUT_KEY: z.string().regex(/^[0-9*#]?$/).default('9'),
  /**
   * Prompts (ARI media URIs, comma separated). The defaults use Asterisk's core English sounds so a stock
   * Asterisk plays something sensible; record your own (e.g. sound:beckon/confirm) and set these.
   */
  PROMPT_CONFIRM: z.string().default('sound:hello-world,sound:vm-press,digits:1'),
  PROMPT_ANNOUNCE: z.string().default('sound:pls-hold-while-try'),
  /** Worker identity: names its Stasis app (ARI_APP-WORKER_ID) and its in-flight attempts. Stable across restarts. */
  WORKER_ID: z.string().regex(/^[\w.-]{1,40}$/).default(hostname().replace(/[^\w.-]/g, '').slice(0, 40) || 'worker'),
  /** Longest a bridged call may last before Beckon hangs up (limits what a hijacked call can cost). */
  MAX_CALL_SEC: z.coerce.number().int().min(5).default(3600),
  /** Seconds a stopping worker lets calls in progress finish before hanging them up. */
  SHUTDOWN_GRACE_SEC: z.coerce.number().min(0).default(60),
  /** Music on hold class played to the visitor while the subscriber's phone rings. */
  MOH_CLASS: z.string().default('default'),
  /** Multiplies the simulator's scripted delays (sim only). */
  SIM_TIME_SCALE: z.coerce.number().positive().default(1),
  SIM_PORT: z.coerce.number().int().default(8088),
  SIM_AMI_PORT: z.coerce.number().int().default(5038),
});

export type Config = z.infer<typeof Env> & { publicUrl: string };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${String(issue.path[0])}: ${issue.message}`);
  }
  const c = parsed.data;
  return {
    ...c,
    DATABASE_URL: withDefaultUser(c.DATABASE_URL, env),
    publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, ''),
  };
}

export class ConfigError extends Error {}

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
