-- Up Migration
-- Facts about an attempt stored when they happen, so that readers never infer them from state names:
--   call_attempts.flow: the state machine that runs the attempt ('visitor_first': src/calls/flow/call-state.ts,
--     'agent_first': src/calls/flow/agent-first-state.ts), written by the claim. Rows without one are the
--     visitor-first call.
--   attempt_transitions.leg_started: the leg whose origination the transition starts ('visitor' or 'callee'), as
--     the flow modules declare per state; call records and billing count each leg's time from it.
--   call_attempts, attempt_transitions -> src/calls/attempt.repository.ts
ALTER TABLE call_attempts ADD COLUMN flow text NOT NULL DEFAULT 'visitor_first' CHECK (flow IN ('visitor_first', 'agent_first'));
-- An agent-first attempt is the one whose first transition entered `offered` (that machine's first state).
UPDATE call_attempts a SET flow = 'agent_first'
 WHERE EXISTS (SELECT 1 FROM attempt_transitions t WHERE t.attempt_id = a.id AND t.from_state IS NULL AND t.to_state = 'offered');

ALTER TABLE attempt_transitions ADD COLUMN leg_started text CHECK (leg_started IN ('visitor', 'callee'));
-- Both machines start the visitor's leg on entering visitor_ringing and the callee's (an agent's, agent-first) on
-- entering callee_ringing or agent_ringing.
UPDATE attempt_transitions SET leg_started = CASE WHEN to_state = 'visitor_ringing' THEN 'visitor' ELSE 'callee' END
 WHERE to_state IN ('visitor_ringing', 'callee_ringing', 'agent_ringing');

-- Down Migration
ALTER TABLE attempt_transitions DROP COLUMN leg_started;
ALTER TABLE call_attempts DROP COLUMN flow;
