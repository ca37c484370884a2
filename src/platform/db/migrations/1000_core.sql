-- Up Migration
-- Core schema. One module owns each table:
--   subscribers, domains, departments  -> src/subscribers/subscriber.repository.ts
--   callback_requests, request_status_history -> src/requests/callback.repository.ts
--   call_attempts, attempt_transitions -> src/calls/attempt.repository.ts

CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE subscribers (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name          text NOT NULL,
  email         text UNIQUE,
  country       char(2) NOT NULL DEFAULT 'US',
  timezone      text NOT NULL DEFAULT 'UTC',
  phone_e164    text,
  phone_verified_at timestamptz,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  -- Per-subscriber settings whose defaults live in code (src/subscribers/settings.ts).
  settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE domains (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  -- exact host ("shop.example.com") or a wildcard ("*.example.com"); lowercase, no port
  host          text NOT NULL UNIQUE CHECK (host = lower(host)),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX domains_subscriber_idx ON domains (subscriber_id);

CREATE TABLE departments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  name          text NOT NULL,
  answered_by   text NOT NULL DEFAULT 'phone' CHECK (answered_by IN ('phone', 'agents')),
  phone_e164    text,
  phone_verified_at timestamptz,
  position      integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subscriber_id, name),
  CHECK (answered_by = 'agents' OR phone_e164 IS NOT NULL)
);

CREATE TABLE callback_requests (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscriber_id uuid NOT NULL REFERENCES subscribers(id),
  department_id uuid REFERENCES departments(id),
  phone_e164    text NOT NULL,
  visitor_name  text,
  message       text,
  page_url      text,
  referrer      text,
  ip            inet,
  user_agent    text,
  source        text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'form', 'widget')),
  scheduled_at  timestamptz,
  status        text NOT NULL CHECK (status IN ('queued', 'scheduled', 'dialing', 'connected', 'completed', 'failed', 'expired', 'canceled')),
  status_reason text,
  token_hash    bytea NOT NULL,
  attempt_count integer NOT NULL DEFAULT 0,
  -- Outbox: NULL while the request is accepted but not yet on the Bull queue (Redis was down).
  enqueued_at   timestamptz,
  next_attempt_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX callback_requests_subscriber_idx ON callback_requests (subscriber_id, created_at DESC);
CREATE INDEX callback_requests_outbox_idx ON callback_requests (created_at) WHERE enqueued_at IS NULL;
CREATE INDEX callback_requests_open_idx ON callback_requests (status, next_attempt_at)
  WHERE status IN ('queued', 'scheduled', 'dialing', 'connected');
CREATE INDEX callback_requests_phone_idx ON callback_requests (phone_e164, created_at DESC);

CREATE TABLE request_status_history (
  id            bigserial PRIMARY KEY,
  request_id    uuid NOT NULL REFERENCES callback_requests(id) ON DELETE CASCADE,
  from_status   text,
  to_status     text NOT NULL,
  reason        text,
  at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX request_status_history_request_idx ON request_status_history (request_id, id);

CREATE TABLE call_attempts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  request_id    uuid NOT NULL REFERENCES callback_requests(id) ON DELETE CASCADE,
  n             integer NOT NULL,
  -- the call state machine's state (src/calls/flow/call-state.ts)
  state         text NOT NULL,
  outcome       text CHECK (outcome IN ('answered', 'busy', 'no_answer', 'rejected', 'failed', 'callee_unanswered', 'no_human', 'abandoned', 'canceled')),
  cause         integer,
  cause_txt     text,
  callee_kind   text,
  callee_endpoint text,
  worker_id     text,
  visitor_channel_id text,
  callee_channel_id  text,
  bridge_id     text,
  started_at    timestamptz NOT NULL DEFAULT now(),
  answered_at   timestamptz,
  callee_answered_at timestamptz,
  ended_at      timestamptz,
  UNIQUE (request_id, n)
);
CREATE INDEX call_attempts_live_idx ON call_attempts (worker_id) WHERE ended_at IS NULL;

CREATE TABLE attempt_transitions (
  id            bigserial PRIMARY KEY,
  attempt_id    uuid NOT NULL REFERENCES call_attempts(id) ON DELETE CASCADE,
  from_state    text,
  event         text NOT NULL,
  to_state      text NOT NULL,
  at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX attempt_transitions_attempt_idx ON attempt_transitions (attempt_id, id);

-- Down Migration
DROP TABLE attempt_transitions;
DROP TABLE call_attempts;
DROP TABLE request_status_history;
DROP TABLE callback_requests;
DROP TABLE departments;
DROP TABLE domains;
DROP TABLE subscribers;
