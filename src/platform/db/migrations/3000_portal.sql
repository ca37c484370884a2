-- Up Migration
-- Subscriber self-service.
--   subscribers.password_hash          -> src/subscribers/subscriber.repository.ts
--   phone_verifications                 -> src/verification/verification.repository.ts

ALTER TABLE subscribers ADD COLUMN password_hash text;
-- Emails are compared case-insensitively: "Bob@x.com" and "bob@x.com" are one account.
CREATE UNIQUE INDEX subscribers_email_lower_idx ON subscribers (lower(email));

-- A department that still has call-back requests is archived rather than deleted (the requests keep their history).
ALTER TABLE departments ADD COLUMN archived_at timestamptz;

-- One row per verification call. The code is never stored in clear: the worker that speaks it keeps only an
-- HMAC, so neither Redis (the job) nor PostgreSQL holds a usable code.
CREATE TABLE phone_verifications (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  -- NULL = the subscriber's own phone; else the department whose phone is verified
  department_id uuid REFERENCES departments(id) ON DELETE CASCADE,
  phone_e164    text NOT NULL,
  code_hash     bytea,
  -- queued -> calling -> spoken | failed; verified once the right code came back
  call_status   text NOT NULL DEFAULT 'queued' CHECK (call_status IN ('queued', 'calling', 'spoken', 'failed')),
  call_cause    integer,
  tries         integer NOT NULL DEFAULT 0,
  expires_at    timestamptz NOT NULL,
  verified_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phone_verifications_subscriber_idx ON phone_verifications (subscriber_id, created_at DESC);
CREATE INDEX phone_verifications_phone_idx ON phone_verifications (phone_e164, created_at DESC);

-- Down Migration
DROP TABLE phone_verifications;
ALTER TABLE departments DROP COLUMN archived_at;
DROP INDEX subscribers_email_lower_idx;
ALTER TABLE subscribers DROP COLUMN password_hash;
