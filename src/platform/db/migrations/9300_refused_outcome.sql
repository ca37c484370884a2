-- An attempt ended before a leg was dialed because a check at dial time refused the destination
-- (src/calls/flow/dial-check.ts): `refused`, with the reason in cause_txt.
ALTER TABLE call_attempts DROP CONSTRAINT IF EXISTS call_attempts_outcome_check;
ALTER TABLE call_attempts ADD CONSTRAINT call_attempts_outcome_check
  CHECK (outcome IN ('answered', 'busy', 'no_answer', 'rejected', 'failed', 'callee_unanswered', 'no_human', 'abandoned', 'canceled', 'refused'));
