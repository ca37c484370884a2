-- Up Migration
-- Signed webhooks: a subscriber's HTTPS endpoints, the events of its requests, and one delivery per endpoint and
-- event (src/webhooks/webhook.repository.ts owns all four tables).
--   webhook_endpoints: the URL, the event types it takes, its signing secret (kept readable: every delivery is
--     signed with it) and the previous secret, which still signs until previous_secret_until (rotation overlap).
--     failing_since is the first failure after the last success; lease_* let one worker at a time deliver to
--     an endpoint, which keeps its deliveries in order (src/webhooks/drain.ts).
--   webhook_events: one row per event, named by source_key (what it was made from), so the feed that reads
--     request_status_history and call_attempts again after a restart never makes an event twice.
--   webhook_deliveries: seq orders one endpoint's deliveries; a "send again" is a new row with resend = true.
--   webhook_feed_cursor: how far the feed has read (one row).
CREATE TABLE webhook_endpoints (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  url           text NOT NULL,
  events        text[] NOT NULL,
  secret        text NOT NULL,
  previous_secret text,
  previous_secret_until timestamptz,
  enabled       boolean NOT NULL DEFAULT true,
  disabled_reason text,
  failing_since timestamptz,
  lease_token   uuid,
  lease_until   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_subscriber_idx ON webhook_endpoints (subscriber_id);

CREATE TABLE webhook_events (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  type          text NOT NULL,
  source_key    text NOT NULL UNIQUE,
  data          jsonb NOT NULL,
  created_at    timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq           bigserial NOT NULL UNIQUE,
  endpoint_id   uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_id      uuid NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
  resend        boolean NOT NULL DEFAULT false,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts      integer NOT NULL DEFAULT 0,
  last_status   integer,
  last_error    text,
  last_duration_ms integer,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE UNIQUE INDEX webhook_deliveries_once_idx ON webhook_deliveries (endpoint_id, event_id) WHERE NOT resend;
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, created_at DESC);

CREATE TABLE webhook_feed_cursor (
  one           boolean PRIMARY KEY DEFAULT true CHECK (one),
  history_id    bigint NOT NULL,
  attempts_at   timestamptz NOT NULL
);
-- The feed starts at installation: history from before webhooks existed is not sent.
INSERT INTO webhook_feed_cursor (history_id, attempts_at) SELECT coalesce(max(id), 0), now() FROM request_status_history;
CREATE INDEX call_attempts_ended_idx ON call_attempts (ended_at) WHERE ended_at IS NOT NULL;

-- Down Migration
DROP INDEX call_attempts_ended_idx;
DROP TABLE webhook_feed_cursor;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_endpoints;
