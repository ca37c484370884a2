-- Up Migration
-- What the agent did to the call in hand (mute, hold), shown on the console after a reload; cleared when the
-- reservation ends. A wrap-up ends at wrap_up_until: the worker's pass and every reader treat a past one as
-- available, so the index keeps that pass cheap.
--   agents -> src/agents/agent.repository.ts
ALTER TABLE agents ADD COLUMN call_muted boolean NOT NULL DEFAULT false,
                   ADD COLUMN call_held boolean NOT NULL DEFAULT false;
CREATE INDEX agents_wrap_up_until ON agents (wrap_up_until) WHERE status = 'wrap_up';

-- Down Migration
DROP INDEX agents_wrap_up_until;
ALTER TABLE agents DROP COLUMN call_muted, DROP COLUMN call_held;
