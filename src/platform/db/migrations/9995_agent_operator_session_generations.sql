-- Up Migration
-- Agents and operators carry a session generation like subscribers (9200): a session keeps the generation of its
-- login and is refused once the account's has moved on. An agent's moves on when it is disabled or its password is
-- set (by its owner, the operator or a reset link); an operator's when its password changes (ADMIN_PASSWORD).
--   agents.session_generation    -> src/agents/agent.repository.ts
--   operators.session_generation -> src/admin/operator.repository.ts
ALTER TABLE agents ADD COLUMN session_generation integer NOT NULL DEFAULT 0;
ALTER TABLE operators ADD COLUMN session_generation integer NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE operators DROP COLUMN session_generation;
ALTER TABLE agents DROP COLUMN session_generation;
