-- Up Migration
-- Notices by email to a subscriber's owner (src/notices).
--   notice_preferences: which events the owner wants mailed; no row = the defaults (missed call-backs only),
--     which src/notices/notice-kinds.ts states as well.
--   notices: one row per notice decided, unique per owner, kind and subject (a request id, the local date of a
--     digest, a conversation id), so that several workers deciding the same notice make one row and one mail.
--     enqueued_at is NULL until its Bull job exists (a pass re-enqueues such rows); sent_at once the SMTP server
--     took it.
--   notice_scan: how far the notice pass has read finished and new requests (one row; passes overlap a little
--     and rely on the unique key above).
--   notice_preferences, notices, notice_scan -> src/notices/notice.repository.ts
--   password_resets.agent_id: a forgotten-password link may be an agent's (an agent whose login is its email
--     address); each link is either an owner's or an agent's. -> src/auth/password-reset.repository.ts
CREATE TABLE notice_preferences (
  subscriber_id   uuid PRIMARY KEY REFERENCES subscribers(id) ON DELETE CASCADE,
  new_request     boolean NOT NULL DEFAULT false,
  missed          boolean NOT NULL DEFAULT true,
  digest          boolean NOT NULL DEFAULT false,
  chat_unanswered boolean NOT NULL DEFAULT false,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notices (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('new_request', 'missed', 'digest', 'chat_unanswered')),
  subject       text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  enqueued_at   timestamptz,
  sent_at       timestamptz,
  failed_at     timestamptz,
  last_error    text,
  UNIQUE (subscriber_id, kind, subject)
);
CREATE INDEX notices_unenqueued_idx ON notices (created_at) WHERE enqueued_at IS NULL;

CREATE TABLE notice_scan (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  scanned_to timestamptz NOT NULL
);
-- Requests from before this migration are never noticed.
INSERT INTO notice_scan (scanned_to) VALUES (now());

-- The pass reads requests by creation and by end time.
CREATE INDEX callback_requests_created_idx ON callback_requests (created_at);
CREATE INDEX callback_requests_finished_idx ON callback_requests (finished_at) WHERE finished_at IS NOT NULL;

ALTER TABLE password_resets ADD COLUMN agent_id uuid REFERENCES agents(id) ON DELETE CASCADE;
ALTER TABLE password_resets ALTER COLUMN subscriber_id DROP NOT NULL;
ALTER TABLE password_resets ADD CONSTRAINT password_resets_one_account CHECK ((subscriber_id IS NULL) <> (agent_id IS NULL));
CREATE INDEX password_resets_agent_idx ON password_resets (agent_id) WHERE agent_id IS NOT NULL;

-- Down Migration
DELETE FROM password_resets WHERE agent_id IS NOT NULL;
ALTER TABLE password_resets DROP CONSTRAINT password_resets_one_account;
ALTER TABLE password_resets ALTER COLUMN subscriber_id SET NOT NULL;
ALTER TABLE password_resets DROP COLUMN agent_id;
DROP INDEX callback_requests_finished_idx;
DROP INDEX callback_requests_created_idx;
DROP TABLE notice_scan;
DROP TABLE notices;
DROP TABLE notice_preferences;
