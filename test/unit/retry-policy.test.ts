import test from 'ava';
import { DEFAULT_RETRY_POLICY, nextStep, policyFrom } from '../../src/calls/flow/retry-policy.ts';

const now = new Date('2026-11-22T12:00:00Z');
const createdAt = new Date('2026-11-22T11:59:00Z');

test('answered completes', (t) => {
  t.deepEqual(nextStep({ outcome: 'answered', attemptsDone: 1, createdAt, now, policy: DEFAULT_RETRY_POLICY }), { action: 'complete' });
});

test('busy retries with exponential back-off until attempts run out', (t) => {
  const first = nextStep({ outcome: 'busy', attemptsDone: 1, createdAt, now, policy: DEFAULT_RETRY_POLICY });
  t.deepEqual(first, { action: 'retry', at: new Date(now.getTime() + 120_000) });
  const second = nextStep({ outcome: 'busy', attemptsDone: 2, createdAt, now, policy: DEFAULT_RETRY_POLICY });
  t.deepEqual(second, { action: 'retry', at: new Date(now.getTime() + 240_000) });
  t.is(nextStep({ outcome: 'busy', attemptsDone: 3, createdAt, now, policy: DEFAULT_RETRY_POLICY }).action, 'fail');
});

test('rejected and abandoned are never retried', (t) => {
  t.is(nextStep({ outcome: 'rejected', attemptsDone: 1, createdAt, now, policy: DEFAULT_RETRY_POLICY }).action, 'fail');
  t.is(nextStep({ outcome: 'abandoned', attemptsDone: 1, createdAt, now, policy: DEFAULT_RETRY_POLICY }).action, 'fail');
});

test('a retry that would fall after the maximum age expires the request', (t) => {
  const old = new Date(now.getTime() - 24 * 3600_000 + 60_000);
  t.is(nextStep({ outcome: 'no_answer', attemptsDone: 1, createdAt: old, now, policy: DEFAULT_RETRY_POLICY }).action, 'expire');
});

test('subscriber settings override the defaults within bounds', (t) => {
  const p = policyFrom({ retry: { maxAttempts: 50, backoffSec: { busy: 5 } } });
  t.is(p.maxAttempts, 10);
  t.is(p.backoffSec.busy, 5);
  t.is(p.backoffSec.no_answer, 300);
  t.is(policyFrom({}).maxAttempts, 3);
});
