-- Up Migration
-- Accounting and the operator area. Owners:
--   plans, rates, subscriber_plans, call_records, ami_cdrs -> src/accounting/accounting.repository.ts
--   operators                                              -> src/admin/operator.repository.ts
-- Money is integer: rates in micro-units of the currency per minute, charges in cents (rounded up per leg).

CREATE TABLE plans (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL UNIQUE,
  monthly_fee_cents bigint NOT NULL DEFAULT 0 CHECK (monthly_fee_cents >= 0),
  is_default    boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default;

-- A rate with plan_id NULL belongs to the base table every plan falls back to.
CREATE TABLE rates (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  plan_id       uuid REFERENCES plans(id) ON DELETE CASCADE,
  -- E.164 digits without '+', e.g. '1' or '1202'; '' matches everything
  prefix        text NOT NULL CHECK (prefix ~ '^[0-9]{0,15}$'),
  description   text NOT NULL DEFAULT '',
  price_per_min_micros bigint NOT NULL CHECK (price_per_min_micros >= 0),
  -- first interval billed in full (the "30" of 30/6), then increments (the "6")
  min_seconds   integer NOT NULL DEFAULT 60 CHECK (min_seconds >= 0 AND min_seconds <= 3600),
  increment_seconds integer NOT NULL DEFAULT 60 CHECK (increment_seconds >= 1 AND increment_seconds <= 3600),
  min_charge_cents bigint NOT NULL DEFAULT 0 CHECK (min_charge_cents >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX rates_plan_prefix ON rates (COALESCE(plan_id, '00000000-0000-0000-0000-000000000000'::uuid), prefix);

CREATE TABLE subscriber_plans (
  subscriber_id uuid PRIMARY KEY REFERENCES subscribers(id) ON DELETE CASCADE,
  plan_id       uuid NOT NULL REFERENCES plans(id),
  since         timestamptz NOT NULL DEFAULT now()
);

-- One row per leg of an attempt, built by the worker from the stored attempt when the attempt ends.
CREATE TABLE call_records (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  attempt_id    uuid NOT NULL REFERENCES call_attempts(id) ON DELETE CASCADE,
  request_id    uuid NOT NULL REFERENCES callback_requests(id) ON DELETE CASCADE,
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  department_id uuid,
  leg           text NOT NULL CHECK (leg IN ('visitor', 'callee')),
  channel_id    text NOT NULL UNIQUE,
  callee_kind   text,
  agent         text,
  from_number   text,
  to_number     text,
  to_endpoint   text,
  started_at    timestamptz NOT NULL,
  answered_at   timestamptz,
  ended_at      timestamptz NOT NULL,
  duration_sec  integer NOT NULL CHECK (duration_sec >= 0),
  billable_sec  integer NOT NULL CHECK (billable_sec >= 0),
  disposition   text NOT NULL CHECK (disposition IN ('ANSWERED', 'BUSY', 'NO ANSWER', 'FAILED', 'CONGESTION')),
  hangup_cause  integer,
  hangup_cause_txt text,
  -- rating, frozen at the time the leg was rated so later rate changes do not rewrite old bills
  rate_prefix   text,
  price_per_min_micros bigint,
  billed_sec    integer NOT NULL DEFAULT 0,
  charge_cents  bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (attempt_id, leg)
);
CREATE INDEX call_records_subscriber_idx ON call_records (subscriber_id, started_at);

-- Asterisk's own CDRs (AMI Cdr events), kept as received and matched to call_records by channel id.
CREATE TABLE ami_cdrs (
  id            bigserial PRIMARY KEY,
  uniqueid      text NOT NULL,
  linkedid      text,
  sequence      integer NOT NULL DEFAULT 0,
  attempt_id    uuid,
  leg           text,
  channel       text,
  destination_channel text,
  disposition   text,
  start_time    timestamptz,
  answer_time   timestamptz,
  end_time      timestamptz,
  duration_sec  integer,
  billable_sec  integer,
  accountcode   text,
  raw           jsonb NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (uniqueid, sequence)
);
CREATE INDEX ami_cdrs_attempt_idx ON ami_cdrs (attempt_id);

CREATE TABLE operators (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL UNIQUE CHECK (email = lower(email)),
  name          text NOT NULL,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);

-- A base table so a fresh install rates something: North America, then everything else.
INSERT INTO plans (name, monthly_fee_cents, is_default) VALUES ('Standard', 0, true);
INSERT INTO rates (plan_id, prefix, description, price_per_min_micros, min_seconds, increment_seconds)
  VALUES (NULL, '1', 'North America', 12000, 60, 60),
         (NULL, '', 'Rest of the world', 150000, 60, 60);

-- Down Migration
DROP TABLE operators;
DROP TABLE ami_cdrs;
DROP TABLE call_records;
DROP TABLE subscriber_plans;
DROP TABLE rates;
DROP TABLE plans;
