import test from 'ava';
import { pino } from 'pino';
import { createTestDatabase, testRedisPrefix } from '../helpers/database.ts';
import { insertVerifiedSubscriber } from '../helpers/rows.ts';
import { createCallbackQueue, jobIdFor, jobStep } from '../../src/platform/queue/callback-queue.ts';
import { startOutboxRelay } from '../../src/requests/outbox-relay.ts';

// The outbox relay with Redis up (a retry passes through the outbox for a moment): its job names the retry's
// step and due time, and its log line says what it moved, not that Redis was down.

test('a retry waiting in the outbox is queued as its own step, due when the request is, and logged for what it is', async (t) => {
  const db = await createTestDatabase('outboxrelay');
  const queue = createCallbackQueue(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', testRedisPrefix('outboxrelay'));
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
  try {
    const subscriberId = await insertVerifiedSubscriber(db.pool, 'relay', 'Relay');
    const { rows: [r] } = await db.pool.query(
      `INSERT INTO callback_requests (subscriber_id, phone_e164, status, token_hash, attempt_count, next_attempt_at, enqueued_at)
       VALUES ($1, '+12025550461', 'scheduled', '\\x00', 1, now() + interval '30 seconds', NULL) RETURNING id, next_attempt_at`, [subscriberId]);
    await new Promise<void>((res) => { if (queue.ready()) res(); else queue.client.once('ready', () => res()); });
    const relay = startOutboxRelay({ pool: db.pool, queue, log, intervalMs: 60_000 });
    t.is(await relay.runOnce(), 1);
    relay.stop();
    const job = await queue.queue.getJob(jobIdFor(r.id, 1));
    t.truthy(job);
    const step = jobStep(job!);
    t.is(step.attempt, 1);
    t.true(Math.abs(step.dueAt! - new Date(r.next_attempt_at).getTime()) < 1000, 'due with the request');
    t.is(await job!.getState(), 'delayed');
    const moved = lines.map((l) => JSON.parse(l)).filter((l) => l.moved === 1);
    t.is(moved.length, 1);
    t.notRegex(moved[0].msg, /Redis was down/);
  } finally {
    await queue.queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await db.drop();
  }
});
