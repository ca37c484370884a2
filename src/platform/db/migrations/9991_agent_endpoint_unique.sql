-- Up Migration
-- One agent per endpoint. agents.endpoint is the device offers ring and AMI device state is stored for, and the
-- console softphone's SIP credentials are issued for it: two agents on one endpoint would ring each other's phone,
-- and one could be handed the other's softphone. Two unique indexes, over active agents (a disabled agent can
-- neither log in nor be offered a call, and its phone may go to whoever replaces it):
--   agents_endpoint_key: the device rung now (the softphone's while the agent answers in the browser);
--   agents_phone_key:    the configured phone (desk_endpoint while in the browser, else endpoint), so a desk phone
--                        stays its agent's while that agent is in the browser.
-- Subscribers no longer name endpoints: their agents answer on their own softphone, webagent-<first 12 hex of the
-- agent's id>, and only the operator gives one a desk phone (src/agents/agent-form.ts). Rows from before are
-- brought to that, so the indexes build on any database:
--   1. a subscriber's agent gets its own softphone: its endpoint was typed by the subscriber, and nothing shows the
--      phone was its to take (the operator gives it back at /admin/agents if it was);
--   2. an agent on another agent's softphone name (webagent-...) or on `anonymous` gets its own softphone;
--   3. of active agents sharing a phone, configured or rung now, the one made first keeps it, the others get their
--      own softphone.
-- An agent moved to its own softphone is UNAVAILABLE until a browser registers it; one answering in the browser
-- at this moment stays in the browser, on its own softphone.
--   agents -> src/agents/agent.repository.ts, src/agents/softphone.repository.ts
CREATE FUNCTION pg_temp.own_softphone(id uuid) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT 'PJSIP/webagent-' || left(replace(id::text, '-', ''), 12) $$;
CREATE FUNCTION pg_temp.to_own_softphone(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  UPDATE agents SET
      endpoint = pg_temp.own_softphone(id),
      desk_endpoint = CASE WHEN desk_endpoint IS NULL THEN NULL ELSE pg_temp.own_softphone(id) END,
      device_state = CASE WHEN lower(endpoint) = lower(pg_temp.own_softphone(id)) THEN device_state ELSE 'UNAVAILABLE' END,
      device_state_at = now(), updated_at = now()
    WHERE id = ANY(ids);
$$;

-- 1 and 2
SELECT pg_temp.to_own_softphone(ARRAY(
  SELECT id FROM agents
   WHERE (owner_subscriber_id IS NOT NULL
          AND (lower(endpoint) <> lower(pg_temp.own_softphone(id)) OR lower(desk_endpoint) <> lower(pg_temp.own_softphone(id))))
      OR (lower(endpoint) LIKE 'pjsip/webagent-%' AND lower(endpoint) <> lower(pg_temp.own_softphone(id)))
      OR (lower(desk_endpoint) LIKE 'pjsip/webagent-%' AND lower(desk_endpoint) <> lower(pg_temp.own_softphone(id)))
      OR lower(endpoint) = 'pjsip/anonymous' OR lower(desk_endpoint) = 'pjsip/anonymous'));
-- 3: the configured phone, then the device rung now, among active agents (the indexes' own scope)
SELECT pg_temp.to_own_softphone(ARRAY(
  SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY lower(COALESCE(desk_endpoint, endpoint)) ORDER BY created_at, id) AS n FROM agents WHERE active) r
   WHERE n > 1));
SELECT pg_temp.to_own_softphone(ARRAY(
  SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY lower(endpoint) ORDER BY created_at, id) AS n FROM agents WHERE active) r
   WHERE n > 1));

DROP INDEX agents_endpoint_idx;
CREATE UNIQUE INDEX agents_endpoint_key ON agents (lower(endpoint)) WHERE active;
CREATE UNIQUE INDEX agents_phone_key ON agents (lower(COALESCE(desk_endpoint, endpoint))) WHERE active;

-- Down Migration
-- The endpoints changed on the way up are not put back: they were refused for good reasons.
DROP INDEX agents_phone_key;
DROP INDEX agents_endpoint_key;
CREATE INDEX agents_endpoint_idx ON agents (lower(endpoint));
