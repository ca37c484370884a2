import test from 'ava';
import { Writable } from 'node:stream';
import { execFileSync, spawn } from 'node:child_process';
import { pino } from 'pino';
import { startPrivateRedis, freePort } from '../helpers/private-redis.ts';
import { createRedis } from '../../src/platform/redis.ts';
import { checkEvictionPolicy, evictionWarning } from '../../src/platform/redis-eviction-policy.ts';
import { startPolicyWeb } from '../helpers/policy-web.ts';

// Redis must run with maxmemory-policy noeviction: an evicting Redis drops queue jobs when full. Web and
// worker say so in their log at start; a Redis that hides CONFIG is tolerated.

function capture() {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({ write(c, _e, cb) { for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { lines, log: pino({ level: 'info' }, sink) };
}

test('the rule: only noeviction (or an unknown policy) passes without a warning', (t) => {
  t.is(evictionWarning('noeviction'), null);
  t.is(evictionWarning(null), null);
  t.regex(evictionWarning('allkeys-lru')!, /allkeys-lru.*noeviction/);
  t.regex(evictionWarning('volatile-lru')!, /volatile-lru/);
});

test('an evicting Redis is warned about when the web process starts; noeviction is not', async (t) => {
  const redis = await startPrivateRedis();
  try {
    execFileSync('redis-cli', ['-p', String(redis.port), 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    const web = await startPolicyWeb('evictwarn', { REDIS_URL: redis.url });
    try {
      const warned = async () => web.logs.some((l) => l.level === 40 && /maxmemory-policy is allkeys-lru/.test(l.msg));
      for (let i = 0; i < 100 && !(await warned()); i++) await new Promise((r) => setTimeout(r, 50));
      t.true(await warned(), JSON.stringify(web.logs.map((l) => l.msg)));
    } finally { await web.close(); }

    execFileSync('redis-cli', ['-p', String(redis.port), 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    const client = createRedis(redis.url);
    const { lines, log } = capture();
    try {
      t.is(await checkEvictionPolicy(client, log), 'noeviction');
      t.false(lines.some((l) => l.level >= 40));
    } finally { client.disconnect(); }
  } finally { await redis.stop(); }
});

test('a Redis with CONFIG disabled is tolerated: an info line, no failure', async (t) => {
  const port = await freePort();
  spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
    '--rename-command', 'CONFIG', '""'], { stdio: 'ignore' });
  const client = createRedis(`redis://127.0.0.1:${port}`);
  const { lines, log } = capture();
  try {
    t.is(await checkEvictionPolicy(client, log), null);
    t.true(lines.some((l) => l.level === 30 && /could not be read/.test(l.msg)), JSON.stringify(lines));
    t.false(lines.some((l) => l.level >= 40));
  } finally {
    await client.call('SHUTDOWN', 'NOSAVE').catch(() => {});
    client.disconnect();
  }
});
