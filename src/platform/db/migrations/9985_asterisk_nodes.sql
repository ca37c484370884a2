-- Up Migration
-- Several Asterisk nodes, each served by its own workers (ASTERISK_NODE).
-- worker_liveness.node: the node a worker serves; a gone worker's calls are taken over by a worker of its node
-- (only it sees the node's channels), and the operator's health page lists nodes with their workers.
-- agents.asterisk_node: the node the agent's phone is registered on; NULL = any node reaches it.
--   worker_liveness -> src/calls/upkeep/worker-liveness.ts
--   agents -> src/agents/agent.repository.ts
ALTER TABLE worker_liveness ADD COLUMN node text NOT NULL DEFAULT 'default';
ALTER TABLE agents ADD COLUMN asterisk_node text CHECK (asterisk_node ~ '^[A-Za-z0-9_.-]{1,40}$');

-- Down Migration
ALTER TABLE agents DROP COLUMN asterisk_node;
ALTER TABLE worker_liveness DROP COLUMN node;
