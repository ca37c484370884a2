-- Up Migration
-- The subscriber that made an agent from its portal's Team page (NULL: an operator's agent, the cross-subscriber
-- pool). A subscriber changes only the agents it owns; it sees pool agents assigned to it, read only.
--   agents -> src/agents/agent.repository.ts
ALTER TABLE agents ADD COLUMN owner_subscriber_id uuid REFERENCES subscribers (id) ON DELETE CASCADE;
CREATE INDEX agents_owner_subscriber ON agents (owner_subscriber_id) WHERE owner_subscriber_id IS NOT NULL;

-- Down Migration
DROP INDEX agents_owner_subscriber;
ALTER TABLE agents DROP COLUMN owner_subscriber_id;
