import test from 'ava';
import { jobStep } from '../../src/platform/queue/callback-queue.ts';
import { EARLY_TOLERANCE_MS, jobFit } from '../../src/calls/flow/job-step.ts';

const R = '0b6f1c9e-8a2d-4c1e-9f3a-5d7e2b4a6c8d';

test('a job names its step by its data, else by its id; agent wake-ups name none', (t) => {
  t.deepEqual(jobStep({ id: `${R}:2`, data: { requestId: R, attempt: 2, dueAt: 1000 } }), { attempt: 2, dueAt: 1000 });
  t.deepEqual(jobStep({ id: R, data: { requestId: R } }), { attempt: 0, dueAt: null }, 'a first call made before jobs carried their step');
  t.deepEqual(jobStep({ id: `${R}:3`, data: { requestId: R } }), { attempt: 3, dueAt: null });
  t.deepEqual(jobStep({ id: `${R}:agent-wake:1:abc`, data: { requestId: R } }), { attempt: null, dueAt: null });
});

test('a job for an earlier step is stale; one before its due time is early; otherwise due', (t) => {
  const now = Date.parse('2026-01-01T10:00:00Z');
  const due = new Date(now + 5000);
  t.deepEqual(jobFit({ attemptCount: 1, nextAttemptAt: due }, { attempt: 0 }, now), { fit: 'stale' });
  t.deepEqual(jobFit({ attemptCount: 1, nextAttemptAt: due }, { attempt: 1 }, now), { fit: 'early', dueAt: due });
  t.deepEqual(jobFit({ attemptCount: 1, nextAttemptAt: due }, { attempt: null }, now), { fit: 'early', dueAt: due }, 'a wake-up is held to the due time too');
  t.deepEqual(jobFit({ attemptCount: 1, nextAttemptAt: due }, { attempt: 1 }, now + 5000 - EARLY_TOLERANCE_MS), { fit: 'due' });
  t.deepEqual(jobFit({ attemptCount: 0, nextAttemptAt: null }, { attempt: 0 }, now), { fit: 'due' });
});
