-- Up Migration
-- A password change ends every other session of the account: sessions carry the account's session generation
-- from their login and are refused once it has moved on (src/portal/portal.routes.ts; a counter, not a time,
-- so clocks of the web and database hosts need not agree). An operator can hand a locked-out owner a one-time
-- reset link.
--   password_resets -> src/auth/password-reset.repository.ts
ALTER TABLE subscribers ADD COLUMN session_generation integer NOT NULL DEFAULT 0;

CREATE TABLE password_resets (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  -- sha256 of the link's token: the link itself is shown once and never stored
  token_hash    bytea NOT NULL UNIQUE,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);
CREATE INDEX password_resets_subscriber_idx ON password_resets (subscriber_id);

-- Down Migration
DROP TABLE password_resets;
ALTER TABLE subscribers DROP COLUMN session_generation;
