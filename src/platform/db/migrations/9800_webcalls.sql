-- Up Migration
-- Web calls: a visitor calls from the browser (WebRTC through Asterisk) instead of being called back.
--   callback_requests.kind: 'callback' (Beckon rings the visitor's phone) or 'webcall' (the visitor's browser
--     calls in). A web call has no visitor phone; every call-back has one.
--   webcall_tickets: the single-use ticket the browser sends in its INVITE (X-Beckon-Ticket). Only its SHA-256
--     is stored; it is bound to the request, subscriber, department and visitor it was issued for, and redeemed
--     at most once, before expires_at (src/webcalls/ticket.repository.ts).
--   inbound_app_lease: which worker holds the shared inbound Stasis app (ARI_APP-inbound). Asterisk gives an app
--     to its newest socket, so exactly one worker may hold it; the holder renews the row, another live worker
--     takes it once it has expired (src/webcalls/inbound-lease.ts). Times are the database's clock.
--   call_attempts.flow 'web_inbound': the web-call machine (src/calls/flow/web-call-state.ts).
ALTER TABLE callback_requests ADD COLUMN kind text NOT NULL DEFAULT 'callback' CHECK (kind IN ('callback', 'webcall'));
ALTER TABLE callback_requests ALTER COLUMN phone_e164 DROP NOT NULL;
ALTER TABLE callback_requests ADD CONSTRAINT callback_requests_phone_by_kind CHECK (kind = 'webcall' OR phone_e164 IS NOT NULL);

CREATE TABLE webcall_tickets (
  token_hash    bytea PRIMARY KEY,
  request_id    uuid NOT NULL UNIQUE REFERENCES callback_requests(id) ON DELETE CASCADE,
  subscriber_id uuid NOT NULL REFERENCES subscribers(id),
  department_id uuid REFERENCES departments(id),
  visitor_id    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  redeemed_at   timestamptz
);
CREATE INDEX webcall_tickets_unredeemed_idx ON webcall_tickets (expires_at) WHERE redeemed_at IS NULL;

CREATE TABLE inbound_app_lease (
  app        text PRIMARY KEY,
  worker_id  text NOT NULL,
  expires_at timestamptz NOT NULL
);

ALTER TABLE call_attempts DROP CONSTRAINT call_attempts_flow_check;
ALTER TABLE call_attempts ADD CONSTRAINT call_attempts_flow_check CHECK (flow IN ('visitor_first', 'agent_first', 'web_inbound'));

-- Down Migration
ALTER TABLE call_attempts DROP CONSTRAINT call_attempts_flow_check;
ALTER TABLE call_attempts ADD CONSTRAINT call_attempts_flow_check CHECK (flow IN ('visitor_first', 'agent_first'));
DROP TABLE inbound_app_lease;
DROP TABLE webcall_tickets;
DELETE FROM callback_requests WHERE kind = 'webcall';
ALTER TABLE callback_requests DROP CONSTRAINT callback_requests_phone_by_kind;
ALTER TABLE callback_requests ALTER COLUMN phone_e164 SET NOT NULL;
ALTER TABLE callback_requests DROP COLUMN kind;
