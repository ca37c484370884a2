-- Up Migration
-- An agent answering in the browser: agents.endpoint is the device offers ring and AMI device state is read for,
-- so while the console's softphone is chosen it holds the agent's WebRTC endpoint and desk_endpoint keeps the
-- phone configured for the agent, put back when the session ends (logout, a new login, or the agent choosing
-- the desk phone again). NULL = the agent answers on the configured phone.
--   agents -> src/agents/softphone.repository.ts
ALTER TABLE agents ADD COLUMN desk_endpoint text;

-- Down Migration
UPDATE agents SET endpoint = desk_endpoint WHERE desk_endpoint IS NOT NULL;
ALTER TABLE agents DROP COLUMN desk_endpoint;
